import { dimEq } from '../ir/dim.js';
import type { Graph } from '../ir/graph.js';
import type { Node, Tensor } from '../ir/tensor.js';
import { isFloat } from '../ops/elementwise.js';
import { gradRegistry, NON_DIFFERENTIABLE } from './grad-registry.js';
import { Recomputation } from './recompute.js';
import './rules.js';

export interface GradOptions {
  /**
   * Gradient checkpointing: also replay the `checkpointing` segments (`Graph.beginSegment`, a decoder layer) in the
   * backward pass; `always` segments (a frozen weight's decode) are replayed either way (autodiff/recompute.ts).
   */
  readonly recompute?: boolean;
}

/**
 * Reverse-mode autodiff: appends to `g` the nodes computing d(loss)/d(w) for each w in `wrt`, and
 * returns them in order (zeros where loss does not depend on w). `seed` is d(loss) (default 1; loss
 * should then be a scalar).
 */
export function grad(g: Graph, loss: Tensor, wrt: readonly Tensor[], seed?: Tensor, { recompute = false }: GradOptions = {}): Tensor[] {
  const nodes = g.nodes.slice(0, g.nodes.length);
  const active = activeNodes(nodes, loss, wrt);
  const replay = new Recomputation(g, nodes, recompute);
  const grads = new Map<number, Tensor>();
  const accumulate = (t: Tensor, dt: Tensor) => {
    const prev = grads.get(t.id);
    grads.set(t.id, prev ? sumGradients(g, prev, dt) : dt);
  };
  accumulate(loss, seed ?? g.fill(loss.shape, 1, loss.dtype));
  for (let i = nodes.length - 1; i >= 0; i--) {
    const node = nodes[i];
    if (!active.nodes.has(node)) continue;
    const dys = node.outputs.map((o) => grads.get(o.id));
    if (dys.every((d) => d === undefined)) continue;
    const needs = node.inputs.map((t) => active.tensors.has(t.id));
    const dxs = runRule(g, replay.source(node, dys), dys, needs);
    replay.sent(node, dxs);
    node.inputs.forEach((t, k) => {
      const dx = dxs[k];
      if (needs[k] && dx) accumulate(t, dx);
    });
  }
  return wrt.map((w) => grads.get(w.id) ?? g.zerosLike(w));
}

/**
 * prev + dt. A scatter-add into zeros (a Gather's gradient: the tied embedding's lookup) adds into prev instead, so
 * the [vocab, hidden] zeros and the sum of two such tensors are never made.
 */
function sumGradients(g: Graph, prev: Tensor, dt: Tensor): Tensor {
  const scatter = dt.producer;
  const into = scatter?.inputs[0];
  const zeros = into?.producer?.op === 'Fill' && into.producer.attrs.value === 0;
  const same = prev.dtype === dt.dtype && prev.rank === dt.rank && prev.shape.every((d, i) => dimEq(d, dt.shape[i]!));
  if (scatter?.op === 'ScatterND' && scatter.attrs.reduction === 'add' && zeros && same) return g.scatterND(prev, scatter.inputs[1]!, scatter.inputs[2]!, 'add');
  return g.add(prev, dt);
}

function runRule(g: Graph, node: Node, dys: Array<Tensor | undefined>, needs: boolean[]): Array<Tensor | undefined> {
  const rule = gradRegistry.get(node.op);
  if (!rule) throw new Error(`no gradient rule for op '${node.op}'`);
  try {
    return rule(g, node, dys, needs);
  } catch (e) {
    throw new Error(`gradient of ${node.op}: ${(e as Error).message}`);
  }
}

/** Nodes on a path wrt → loss, and the float tensors on such paths (those needing a gradient). */
function activeNodes(nodes: readonly Node[], loss: Tensor, wrt: readonly Tensor[]): { nodes: Set<Node>; tensors: Set<number> } {
  const fromWrt = new Set<number>(wrt.map((w) => w.id));
  for (const n of nodes) {
    if (NON_DIFFERENTIABLE.has(n.op)) continue;
    if (n.inputs.some((t) => fromWrt.has(t.id))) for (const o of n.outputs) if (isFloat(o.dtype)) fromWrt.add(o.id);
  }
  const toLoss = new Set<number>([loss.id]);
  const active = new Set<Node>();
  for (let i = nodes.length - 1; i >= 0; i--) {
    const n = nodes[i];
    if (!n.outputs.some((o) => toLoss.has(o.id) && fromWrt.has(o.id))) continue;
    active.add(n);
    for (const t of n.inputs) if (fromWrt.has(t.id)) toLoss.add(t.id);
  }
  const tensors = new Set<number>([...toLoss].filter((id) => fromWrt.has(id)));
  return { nodes: active, tensors };
}
