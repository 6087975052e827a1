import { dimEq, shapeSize, type Shape } from '../ir/dim.js';
import type { Graph } from '../ir/graph.js';
import { attrBool, attrInts, attrNum, type Node, type Tensor } from '../ir/tensor.js';
import { defineGrad } from './grad-registry.js';
import { sumToShape } from './sum-to-shape.js';

/**
 * Gradients of Y = op(A)·op(B)·alpha, as matmuls with transpose flags (free in MLAS), no Transpose
 * nodes; alpha becomes the gradient matmuls' own alpha instead of a pass scaling dY.
 */
defineGrad('MatMul', (g, node, [dy], needs) => {
  if (!dy) return [];
  const [a, b] = node.inputs;
  const tA = attrBool(node.attrs, 'transA');
  const tB = attrBool(node.attrs, 'transB');
  const alpha = attrNum(node.attrs, 'alpha', 1);
  return [needs[0] ? gradA(g, a, b, dy, tA, tB, alpha) : undefined, needs[1] ? gradB(g, a, b, dy, tA, tB, alpha) : undefined];
});

function gradA(g: Graph, a: Tensor, b: Tensor, dy: Tensor, tA: boolean, tB: boolean, alpha: number): Tensor {
  const raw = tA ? g.matmul(b, dy, { transA: tB, transB: true, alpha }) : g.matmul(dy, b, { transB: !tB, alpha });
  return sumToShape(g, raw, a.shape);
}

function gradB(g: Graph, a: Tensor, b: Tensor, dy: Tensor, tA: boolean, tB: boolean, alpha: number): Tensor {
  if (b.rank === 2 && a.rank > 2 && !tA) {
    // x[..., k] @ W[k, n]: fold the batch dims into one GEMM instead of a batched matmul plus a ReduceSum.
    const a2 = g.reshape(a, [-1, a.shape[a.rank - 1]]);
    const d2 = g.reshape(dy, [-1, dy.shape[dy.rank - 1]]);
    return tB ? g.matmul(d2, a2, { transA: true, alpha }) : g.matmul(a2, d2, { transA: true, alpha });
  }
  const raw = tB ? g.matmul(dy, a, { transA: true, transB: tA, alpha }) : g.matmul(a, dy, { transA: !tA, alpha });
  return sumToShape(g, raw, b.shape);
}

/** y·(dy − Σ dy·y), with the row dot taken over the attention output when it can be (see attentionRowDot). */
defineGrad('Softmax', (g, node, [dy]) => {
  if (!dy) return [];
  const y = node.outputs[0];
  const axis = attrNum(node.attrs, 'axis');
  const dot = attentionRowDot(g, y, dy, axis) ?? g.reduceSum(g.mul(dy, y), [axis], true);
  return [g.mul(y, g.sub(dy, dot))];
});

/**
 * Attention: when y's only gradient is dy = dO·Vᵀ from O = y·V (the MatMul rule's dA), then
 * Σ_j dy_ij·y_ij = Σ_d dO_id·O_id — the row dot is computed on O's [.., S, dh] instead of on the
 * [.., S, S] probabilities (one multiply and one reduction over the largest tensor saved; the identity
 * FlashAttention's backward uses). O already exists (hash-consing finds it), so nothing is recomputed.
 */
function attentionRowDot(g: Graph, y: Tensor, dy: Tensor, axis: number): Tensor | undefined {
  const p = dy.producer;
  if (axis !== y.rank - 1 || p?.op !== 'MatMul' || !sameShape(dy.shape, y.shape)) return undefined;
  if (!attrBool(p.attrs, 'transB') || attrBool(p.attrs, 'transA') || attrNum(p.attrs, 'alpha', 1) !== 1) return undefined;
  const [dO, v] = p.inputs;
  const o = g.find('MatMul', [y, v])?.[0];
  if (!o || !sameShape(o.shape, dO.shape)) return undefined;
  return g.reduceSum(g.mul(dO, o), [o.rank - 1], true);
}

function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => dimEq(d, b[i]));
}

defineGrad('LogSoftmax', (g, node, [dy]) => {
  if (!dy) return [];
  const y = node.outputs[0];
  const axis = attrNum(node.attrs, 'axis');
  return [g.sub(dy, g.mul(g.exp(y), g.reduceSum(dy, [axis], true)))];
});

function rejectStatGrads(dys: ReadonlyArray<Tensor | undefined>): void {
  if (dys.slice(1).some((d) => d)) throw new Error('gradients through normalisation statistics are not supported');
}

/** x̂ = (x−μ)·r, y = x̂·γ + β  →  dx = r·(dx̂ − mean(dx̂) − x̂·mean(dx̂·x̂)), using ORT's saved μ and r. */
defineGrad('LayerNorm', (g, node, dys, needs) => {
  rejectStatGrads(dys);
  const dy = dys[0];
  if (!dy) return [];
  const [x, scale, bias] = node.inputs;
  const [, mean, inv] = node.outputs;
  const xhat = g.mul(g.sub(x, mean), inv);
  const out: Array<Tensor | undefined> = [undefined, undefined, undefined];
  if (needs[1]) out[1] = sumToShape(g, g.mul(dy, xhat), scale.shape);
  if (needs[2]) out[2] = sumToShape(g, dy, bias.shape);
  if (needs[0]) {
    const dxh = g.mul(dy, scale);
    const inner = g.sub(g.sub(dxh, g.reduceMean(dxh, [-1], true)), g.mul(xhat, g.reduceMean(g.mul(dxh, xhat), [-1], true)));
    out[0] = g.mul(inner, inv);
  }
  return out;
});

/** x̂ = x·r, y = x̂·γ  →  dx = r·(dx̂ − x̂·mean(dx̂·x̂)). */
defineGrad('RMSNorm', (g, node, dys, needs) => {
  rejectStatGrads(dys);
  const dy = dys[0];
  if (!dy) return [];
  const [x, scale] = node.inputs;
  const inv = node.outputs[1];
  const xhat = g.mul(x, inv);
  const out: Array<Tensor | undefined> = [undefined, undefined];
  if (needs[1]) out[1] = sumToShape(g, g.mul(dy, xhat), scale.shape);
  if (needs[0]) {
    const dxh = g.mul(dy, scale);
    out[0] = g.mul(g.sub(dxh, g.mul(xhat, g.reduceMean(g.mul(dxh, xhat), [-1], true))), inv);
  }
  return out;
});

/** dy with the reduced axes put back (size 1), ready to broadcast against x. */
function keepDims(g: Graph, node: Node, t: Tensor): Tensor {
  return attrBool(node.attrs, 'keepdims') ? t : g.unsqueeze(t, attrInts(node.attrs, 'axes'));
}

defineGrad('ReduceSum', (g, node, [dy]) => {
  if (!dy) return [];
  const x = node.inputs[0];
  return [g.expand(keepDims(g, node, dy), x.shape)];
});

defineGrad('ReduceMean', (g, node, [dy]) => {
  if (!dy) return [];
  const x = node.inputs[0];
  const count = shapeSize(attrInts(node.attrs, 'axes').map((a) => x.shape[a]));
  return [g.expand(g.div(keepDims(g, node, dy), g.dimValue(count, x.dtype)), x.shape)];
});

/** Max/min: the gradient is shared equally among the tied extremes (torch.amax semantics). */
function extremumGrad(g: Graph, node: Node, dy: Tensor | undefined): Array<Tensor | undefined> {
  if (!dy) return [];
  const x = node.inputs[0];
  const axes = attrInts(node.attrs, 'axes');
  const mask = g.cast(g.equal(x, keepDims(g, node, node.outputs[0])), x.dtype);
  const share = g.div(keepDims(g, node, dy), g.reduceSum(mask, axes, true));
  return [g.mul(mask, share)];
}
defineGrad('ReduceMax', (g, node, [dy]) => extremumGrad(g, node, dy));
defineGrad('ReduceMin', (g, node, [dy]) => extremumGrad(g, node, dy));
