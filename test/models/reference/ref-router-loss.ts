import type { MoeConfig } from '@aligntune/plugin-arch-moe';
import type { Vec } from './ref-math.js';
import { refLoadBalancingLoss, moeHidden } from './ref-moe.js';
import { WeightReader, type RefWeights } from './ref-types.js';
import { refSequences, type ReferenceBatch } from './reference-forward.js';

/**
 * MoeForCausalLM's aux_loss for a padded batch: every sparse layer's gate logits [layer][b][t] from the float64
 * reference, through load_balancing_loss_func with the attention mask and num_experts_per_tok.
 */
export function refRouterAuxLoss(config: MoeConfig, weights: RefWeights, batch: ReferenceBatch): number {
  const reader = new WeightReader(weights);
  const sequences = refSequences(batch);
  const masks = sequences.map((seq) => seq.mask);
  const perRow = sequences.map((seq) => moeHidden(config, reader, seq).routerLogits);
  const layers: Vec[][][] = perRow[0]!.map((_, l) => perRow.map((row) => row[l]!));
  return refLoadBalancingLoss(layers, masks, config.numExperts, config.numExpertsPerTok);
}
