import type { ComputeDtype } from './graph-executor.js';
import type { Graph } from './ir/graph.js';
import type { Tensor } from './ir/tensor.js';

/**
 * Mixed precision as torch's autocast does it for matrix products: while `build` runs, every MatMul of float32
 * operands casts them to `dtype`, multiplies in it and casts the product back to float32. Everything else (the
 * loss, softmax, norms and their statistics, the optimizer) stays float32, and the weights fed are the float32
 * master copies. Autodiff differentiates through the casts, so each backward MatMul runs in `dtype` too and the
 * weight gradients arrive in float32. Only the build is affected: the backward's own MatMuls read the 16-bit
 * tensors and are not cast again.
 */
export function withAutocast<T>(g: Graph, dtype: ComputeDtype, build: () => T): T {
  const previous = g.autocast;
  g.autocast = dtype;
  try {
    return build();
  } finally {
    g.autocast = previous;
  }
}

/**
 * `matmul(a, b)` computed in `dtype` when both operands are float32 and neither is a constant (the graph's MatMul
 * hook under autocast). A product with a constant is arithmetic on fixed values (indices, tables), not a layer, and
 * may need float32's exactness (16-bit indices do not fit float16's mantissa).
 */
export function autocastMatmul(g: Graph, dtype: ComputeDtype, a: Tensor, b: Tensor, matmul: (a: Tensor, b: Tensor) => Tensor): Tensor {
  const computed = (t: Tensor) => t.dtype === 'float32' && t.producer?.op !== 'Constant';
  if (!computed(a) || !computed(b)) return matmul(a, b);
  return g.cast(matmul(g.cast(a, dtype), g.cast(b, dtype)), 'float32');
}
