import type { Graph } from '../ir/graph.js';
import type { Tensor } from '../ir/tensor.js';

/**
 * torch.nn.utils.clip_grad_norm_ (2-norm): total = ‖(‖g_i‖)_i‖, coef = min(max_norm / (total + 1e-6), 1),
 * every gradient multiplied by coef. The norm of norms is summed in float64 across tensors.
 * Returns the clipped gradients, the pre-clip total norm and the float64 coefficient (absent when
 * maxNorm null/0 only measures). `totalNorm` supplies the norm when the gradients are only a group of all
 * (the grouped optimizer update computes it once, over every gradient, in its own run).
 */
export function clipGradNorm(g: Graph, grads: readonly Tensor[], maxNorm: number | null | undefined, totalNorm?: Tensor): { grads: Tensor[]; norm: Tensor; coef?: Tensor } {
  const total = totalNorm ?? globalGradNorm(g, grads);
  if (!maxNorm) return { grads: [...grads], norm: total };
  const coef = g.min(g.div(g.scalar(maxNorm, 'float64'), g.add(total, 1e-6)), 1);
  return { grads: grads.map((d) => g.mul(d, g.cast(coef, d.dtype))), norm: total, coef };
}

/** The float64 2-norm over all gradients (per-tensor sums of squares in their dtype, summed in float64). */
export function globalGradNorm(g: Graph, grads: readonly Tensor[]): Tensor {
  const sq = grads.map((d) => g.cast(g.reduceSum(g.mul(d, d)), 'float64'));
  return g.sqrt(sq.reduce((a, b) => g.add(a, b)));
}
