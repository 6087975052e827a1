import type { Graph, Tensor } from '@aligntune/core/engine';
import { gatedMlp, linear, type WeightSource } from '@aligntune/core/models';
import type { MoeConfig } from './moe-config.js';
import { topKMask } from './top-k-mask.js';

/** One sparse layer's routing over [batch, seq] tokens: softmax probabilities and the top-k mask, [batch, seq, experts]. */
export interface Routing {
  readonly probs: Tensor;
  readonly kept: Tensor;
}

/**
 * The mixture-of-experts MLP on normed h [batch, seq, hidden], computed densely: every expert runs on every token
 * and the outputs are summed with routing weights that are zero outside each token's top k, which equals routing
 * each token to its k experts (the engine cannot gather tokens per expert). Routing as transformers:
 * softmax(router logits) → top-k → renormalised when `normTopkProb` (Mixtral's top-k-then-softmax is the same
 * function: softmax over the kept logits = kept probabilities / their sum). Qwen2-MoE adds
 * sigmoid(shared_expert_gate(h)) · shared_expert(h).
 */
export function sparseMoeBlock(g: Graph, w: WeightSource, h: Tensor, prefix: string, c: MoeConfig): { out: Tensor; routing: Routing } {
  const probs = g.softmax(linear(g, h, w, `${prefix}.router`, false), -1);
  const kept = topKMask(g, probs, c.numExpertsPerTok);
  let weights = g.where(kept, probs, g.scalar(0, probs.dtype));
  if (c.normTopkProb) weights = g.div(weights, g.reduceSum(weights, [-1], true));
  const perExpert = g.split(weights, -1, Array.from({ length: c.numExperts }, () => 1));
  let out = perExpert
    .map((weight, e) => g.mul(gatedMlp(g, w, h, `${prefix}.experts.${e}`, (t) => g.silu(t), false), weight))
    .reduce((sum, y) => g.add(sum, y));
  if (c.sharedExpertIntermediateSize !== null) {
    const gate = g.sigmoid(linear(g, h, w, `${prefix}.shared_gate`, false));
    out = g.add(out, g.mul(gatedMlp(g, w, h, `${prefix}.shared`, (t) => g.silu(t), false), gate));
  }
  return { out, routing: { probs, kept } };
}
