import type { EmitContext } from '../ir/op-def.js';
import { attrBool, attrInts, type Node, type Tensor } from '../ir/tensor.js';
import { attr } from './attr.js';

/**
 * An emission-time rewrite: `root`'s outputs are produced by `emit` instead of root's own op, and the
 * `absorbed` producers (whose only use is root) are not emitted at all. The IR is unchanged, so the
 * interpreter, autodiff and shape inference never see fused ops; only the ONNX graph has fewer
 * passes over memory.
 */
export interface Fusion {
  readonly absorbed: readonly Node[];
  emit(ctx: EmitContext, name: (t: Tensor) => string, outs: readonly string[]): void;
}

type Matcher = (node: Node, single: (t: Tensor) => boolean) => Fusion | undefined;

/** `ReduceSum(Mul(x, x))` → `ReduceSumSquare(x)`: no squared copy of x (gradient norms, L2 terms). */
const sumSquare: Matcher = (node, single) => {
  if (node.op !== 'ReduceSum') return undefined;
  const sq = node.inputs[0];
  const p = sq.producer;
  if (p?.op !== 'Mul' || p.inputs[0] !== p.inputs[1] || !single(sq)) return undefined;
  const x = p.inputs[0];
  const axes = attrInts(node.attrs, 'axes');
  const keepdims = attr.int(attrBool(node.attrs, 'keepdims') ? 1 : 0);
  return {
    absorbed: [p],
    emit: (ctx, name, outs) => void ctx.add('ReduceSumSquare', [name(x), ctx.ints(axes.map((a) => (a < 0 ? a + x.rank : a)))], outs, { keepdims }),
  };
};

// Tried and dropped: Add(MatMul(x, W), bias) → Gemm(x, W, bias). onnxruntime's CPU Gemm writes the
// broadcast bias into Y and then runs the GEMM with beta = 1, so it saves nothing over MatMul + Add; in
// profiles of the GPT-2 block step the four fused GEMMs were 1–5 ms slower each than MatMul (+ ~4 ms of Adds).
const MATCHERS: readonly Matcher[] = [sumSquare];

/** Plans the fusions for one scope's nodes; `keep` holds tensor ids that must stay materialised (outputs). */
export function planFusions(nodes: readonly Node[], keep: ReadonlySet<number>): Map<Node, Fusion> {
  const uses = new Map<number, number>();
  for (const n of nodes) for (const t of n.inputs) uses.set(t.id, (uses.get(t.id) ?? 0) + 1);
  const single = (t: Tensor) => uses.get(t.id) === 1 && !keep.has(t.id);
  const plan = new Map<Node, Fusion>();
  const absorbed = new Set<Node>();
  for (const node of nodes) {
    if (absorbed.has(node)) continue;
    for (const match of MATCHERS) {
      const f = match(node, single);
      if (!f || f.absorbed.some((a) => absorbed.has(a) || plan.has(a))) continue;
      plan.set(node, f);
      f.absorbed.forEach((a) => absorbed.add(a));
      break;
    }
  }
  return plan;
}
