import type { Graph } from '../ir/graph.js';
import { Node, type Tensor } from '../ir/tensor.js';

/** Builds a fresh copy of a value on `g` that cannot run before `after` (a backward tensor) exists. */
export type Recompute = (g: Graph, after: Tensor) => Tensor;

const recomputes = new WeakMap<Graph, Map<number, Recompute>>();

/**
 * Marks `t` (a frozen weight decoded from its stored form) as recomputed wherever the backward reads it, rather
 * than kept from the forward: a gradient rule that reads `t`, or a value computed from it and constants only,
 * gets a copy built after the incoming gradient, so the forward's float32 copy dies after its forward readers.
 */
export function recomputeInBackward(g: Graph, t: Tensor, recompute: Recompute): void {
  let byId = recomputes.get(g);
  if (!byId) recomputes.set(g, (byId = new Map()));
  byId.set(t.id, recompute);
}

/** What one `grad` call recomputes: the marked values and those derived from them and constants only, and the copies made. */
export class RecomputePlan {
  private readonly derived = new Set<number>();
  private readonly copies = new Map<number, Tensor>();

  /** `nodes`: the graph's forward, in creation (topological) order. */
  constructor(
    private readonly g: Graph,
    nodes: readonly Node[],
  ) {
    const marks = recomputes.get(g);
    if (!marks) return;
    for (const id of marks.keys()) this.derived.add(id);
    for (const n of nodes) {
      const fromMarks = n.inputs.some((t) => this.derived.has(t.id)) && n.inputs.every((t) => this.derived.has(t.id) || t.constValue);
      if (fromMarks) for (const o of n.outputs) this.derived.add(o.id);
    }
  }

  /** `node` as its gradient rule should see it: derived inputs recomputed after `after` (the node itself when it has none). */
  inputsOf(node: Node, after: Tensor): Node {
    if (!node.inputs.some((t) => this.derived.has(t.id))) return node;
    const view = new Node(node.id, node.op, node.inputs.map((t) => this.copy(t, after)), node.attrs);
    view.outputs = node.outputs;
    return view;
  }

  private copy(t: Tensor, after: Tensor): Tensor {
    if (!this.derived.has(t.id)) return t;
    const made = this.copies.get(t.id);
    if (made) return made;
    const mark = recomputes.get(this.g)!.get(t.id);
    const node = t.producer!;
    const copy = mark ? mark(this.g, after) : this.g.apply(node.op, node.inputs.map((i) => this.copy(i, after)), node.attrs)[t.index];
    this.copies.set(t.id, copy);
    return copy;
  }
}
