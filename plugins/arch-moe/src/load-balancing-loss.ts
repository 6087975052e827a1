import type { Graph, Tensor } from '@aligntune/core/engine';
import type { Routing } from './sparse-moe-block.js';

/**
 * transformers' `load_balancing_loss_func` (Switch Transformer eqs. 4–6) with the attention mask, over every
 * sparse layer's routing: E · Σ_e f_e · P_e, where f_e is the fraction of real tokens (all layers together) whose
 * top k includes expert e, summed over the k slots, and P_e the mean routing probability of e over the same
 * tokens. f is a count and carries no gradient; the loss trains the router through P.
 */
export function loadBalancingLoss(g: Graph, routings: readonly Routing[], attentionMask: Tensor, numExperts: number): Tensor {
  const dtype = routings[0]!.probs.dtype;
  const real = g.unsqueeze(g.cast(attentionMask, dtype), [-1]); // [batch, seq, 1]
  const perExpert = (x: (r: Routing) => Tensor) => routings.map((r) => g.reduceSum(g.mul(x(r), real), [0, 1])).reduce((a, b) => g.add(a, b));
  const routed = perExpert((r) => g.cast(r.kept, dtype));
  const probability = perExpert((r) => r.probs);
  const tokens = g.mul(g.reduceSum(real), routings.length);
  return g.mul(g.div(g.reduceSum(g.mul(routed, probability)), g.mul(tokens, tokens)), numExperts);
}
