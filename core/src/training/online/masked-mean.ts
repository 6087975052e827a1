import type { Graph } from '../../engine/ir/graph.js';
import type { Tensor } from '../../engine/ir/tensor.js';

/** Σ x·m / max(Σ m, 1) over the whole micro-batch: a token mean of `x` over the tokens `mask` keeps. */
export function maskedMean(g: Graph, x: Tensor, mask: Tensor): Tensor {
  return g.div(g.reduceSum(g.mul(x, mask)), g.max(g.reduceSum(mask), 1));
}
