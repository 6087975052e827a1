import type { Graph, Tensor } from '@aligntune/core/engine';
import { gatedMlp, linear, type WeightSource } from '@aligntune/core/models';
import type { MoeConfig } from './moe-config.js';
import { topKMask } from './top-k-mask.js';

/** One sparse layer's routing over [batch, seq] tokens, [batch, seq, experts]: softmax probabilities, the top-k mask, and the weights of the experts' outputs. */
export interface Routing {
  readonly probs: Tensor;
  readonly kept: Tensor;
  readonly weights: Tensor;
}

/**
 * softmax(router logits) → top k → divided by their sum when `normalize` (Mixtral's top-k-then-softmax is the same
 * function: softmax over the kept logits = kept probabilities / their sum). Outside the top k the weight is 0 and
 * so is its gradient: as with torch.topk, only the kept probabilities are differentiated (which, through the
 * softmax, still reach every logit unless the weights are renormalised).
 */
export function routeTopK(g: Graph, logits: Tensor, k: number, normalize: boolean): Routing {
  const probs = g.softmax(logits, -1);
  const kept = topKMask(g, probs, k);
  const weights = g.where(kept, probs, g.scalar(0, probs.dtype));
  return { probs, kept, weights: normalize ? g.div(weights, g.reduceSum(weights, [-1], true)) : weights };
}

/**
 * The mixture-of-experts MLP on normed h [batch, seq, hidden], computed densely: every expert runs on every token
 * and the outputs are summed with routing weights that are zero outside each token's top k (routeTopK), which
 * equals routing each token to its k experts (the engine cannot gather tokens per expert). Qwen2-MoE adds
 * sigmoid(shared_expert_gate(h)) · shared_expert(h).
 */
export function sparseMoeBlock(g: Graph, w: WeightSource, h: Tensor, prefix: string, c: MoeConfig): { out: Tensor; routing: Routing } {
  const routing = routeTopK(g, linear(g, h, w, `${prefix}.router`, false), c.numExpertsPerTok, c.normTopkProb);
  const perExpert = g.split(routing.weights, -1, Array.from({ length: c.numExperts }, () => 1));
  let out = perExpert
    .map((weight, e) => g.mul(gatedMlp(g, w, h, `${prefix}.experts.${e}`, (t) => g.silu(t), false), weight))
    .reduce((sum, y) => g.add(sum, y));
  if (c.sharedExpertIntermediateSize !== null) {
    const gate = g.sigmoid(linear(g, h, w, `${prefix}.shared_gate`, false));
    out = g.add(out, g.mul(gatedMlp(g, w, h, `${prefix}.shared`, (t) => g.silu(t), false), gate));
  }
  return { out, routing };
}
