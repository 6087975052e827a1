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

/** `node` as its gradient rule should see it: inputs recomputed after `after` where marked (the node itself when none is). */
export function withRecomputedInputs(g: Graph, node: Node, after: Tensor, memo: Map<number, Tensor | null>): Node {
  const byId = recomputes.get(g);
  if (!byId) return node;
  const inputs = node.inputs.map((t) => recomputed(g, t, after, byId, memo) ?? t);
  if (inputs.every((t, i) => t === node.inputs[i])) return node;
  const view = new Node(node.id, node.op, inputs, node.attrs);
  view.outputs = node.outputs;
  return view;
}

/** A late copy of `t` when it derives from marked values and constants only; undefined otherwise (memoised: one walk per grad). */
function recomputed(g: Graph, t: Tensor, after: Tensor, byId: ReadonlyMap<number, Recompute>, memo: Map<number, Tensor | null>): Tensor | undefined {
  const known = memo.get(t.id);
  if (known !== undefined) return known ?? undefined;
  const copy = lateCopy(g, t, after, byId, memo);
  memo.set(t.id, copy ?? null);
  return copy;
}

function lateCopy(g: Graph, t: Tensor, after: Tensor, byId: ReadonlyMap<number, Recompute>, memo: Map<number, Tensor | null>): Tensor | undefined {
  const mark = byId.get(t.id);
  if (mark) return mark(g, after);
  const node = t.producer;
  if (!node || node.inputs.length === 0) return undefined;
  const inputs: Tensor[] = [];
  for (const input of node.inputs) {
    const copy = input.constValue ? input : recomputed(g, input, after, byId, memo);
    if (!copy) return undefined;
    inputs.push(copy);
  }
  return inputs.some((c, i) => c !== node.inputs[i]) ? g.apply(node.op, inputs, node.attrs)[t.index] : undefined;
}
