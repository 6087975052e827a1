import type { Graph, Tensor } from '@aligntune/core/engine';

/**
 * Which entries of x [.., n] are among the k largest along the last axis, as a bool mask, built from pairwise
 * comparisons (the engine has no TopK op): entry e's rank is the number of entries larger than it plus the
 * equal ones before it (torch.topk's order for ties), and e is kept when its rank is below k. Costs
 * [.., n, n] comparisons; the mask carries no gradient, so whatever it selects is differentiated as kept.
 */
export function topKMask(g: Graph, x: Tensor, k: number): Tensor {
  const n = x.shape.at(-1) as number;
  const rows = g.unsqueeze(x, [-1]); // [.., e, 1]
  const cols = g.unsqueeze(x, [-2]); // [.., 1, j]
  const earlier = Array.from({ length: n * n }, (_, i) => (i % n < Math.floor(i / n) ? 1 : 0)); // j < e
  const tiedEarlier = g.and(g.equal(cols, rows), g.const(earlier, 'bool', [n, n]));
  const ahead = g.or(g.greater(cols, rows), tiedEarlier);
  const rank = g.reduceSum(g.cast(ahead, 'float32'), [-1]);
  return g.less(rank, k);
}
