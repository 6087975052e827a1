import { dimEq, type Shape } from '../ir/dim.js';
import type { Graph } from '../ir/graph.js';
import type { Tensor } from '../ir/tensor.js';

/**
 * The adjoint of broadcasting: sums `dy` over the axes that broadcasting added or stretched from 1.
 * The axes are static because a symbolic dim only ever broadcasts against a literal 1 (shape inference
 * enforces it), so no runtime shape logic is needed.
 */
export function sumToShape(g: Graph, dy: Tensor, shape: Shape): Tensor {
  const off = dy.rank - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < dy.rank; i++) {
    const j = i - off;
    if (j < 0 || (shape[j] === 1 && !dimEq(dy.shape[i], 1))) axes.push(i);
  }
  if (axes.length === 0) return dy;
  const leading = axes.filter((a) => a < off);
  const inner = axes.filter((a) => a >= off);
  // keepdims for stretched axes, drop the leading ones: the result already has `shape`.
  let out = inner.length ? g.reduceSum(dy, inner, true) : dy;
  if (leading.length) out = g.reduceSum(out, leading, false);
  return out;
}
