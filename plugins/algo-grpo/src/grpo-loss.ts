import { type Graph, type Tensor } from '@aligntune/core/engine';
import { maskedMean } from '@aligntune/core/training';
import type { GrpoLossType, ImportanceSamplingLevel } from './grpo-options.js';

/** Per-token quantities of one micro-batch, [b, seq] aligned with input_ids (column t = token t). */
export interface GrpoLossInputs {
  /** log πθ of each token, from logits / temperature. */
  readonly logp: Tensor;
  /** log π_old: the generation-time policy's log-probs, or stopGradient(logp) when training on-policy. */
  readonly oldLogp: Tensor;
  /** log π_ref (under StopGradient), when β > 0. */
  readonly refLogp?: Tensor;
  /** 1 on the completion tokens trained on (up to and including the first EOS). */
  readonly mask: Tensor;
  /** [b] advantages. */
  readonly advantages: Tensor;
  /** Scalar divisor of Σ m·ℓ for dr_grpo and dapo (fed: it depends on the batch or the generation batch). */
  readonly normalizer?: Tensor;
  /** Per-token entropy, for the `entropy` metric. */
  readonly entropy?: Tensor;
}

export interface GrpoLossSettings {
  readonly epsilonLow: number;
  readonly epsilonHigh: number;
  readonly delta?: number;
  readonly beta: number;
  readonly lossType: GrpoLossType;
  readonly level: ImportanceSamplingLevel;
}

export interface GrpoLossGraph {
  readonly loss: Tensor;
  /** TRL's names: kl, entropy, clip_ratio/low_mean, clip_ratio/high_mean, clip_ratio/region_mean. */
  readonly metrics: Record<string, Tensor>;
}

/**
 * TRL's GRPOTrainer loss: ℓ_t = −min(ρ·A, clip(ρ, 1 − ε, 1 + ε_high)·A) + β·(exp(d) − d − 1), d = log π_ref − log πθ,
 * ρ per token (exp(log πθ − log π_old)) or per sequence (exp of the masked mean log-ratio, GSPO), capped at δ in
 * the unclipped term when `delta` is set; aggregated as the loss type says.
 */
export function grpoLoss(g: Graph, inputs: GrpoLossInputs, settings: GrpoLossSettings): GrpoLossGraph {
  const { mask } = inputs;
  const logRatio = importanceLogWeights(g, g.sub(inputs.logp, inputs.oldLogp), mask, settings.level);
  const ratio = g.exp(logRatio);
  const clipped = g.clip(ratio, 1 - settings.epsilonLow, 1 + settings.epsilonHigh);
  const capped = settings.delta === undefined ? ratio : g.min(ratio, settings.delta);
  const advantages = g.unsqueeze(inputs.advantages, [1]);
  let perToken = g.neg(g.min(g.mul(capped, advantages), g.mul(clipped, advantages)));
  const metrics: Record<string, Tensor> = {};
  if (settings.beta > 0) {
    if (!inputs.refLogp) throw new Error('beta > 0 needs the reference log-probs');
    const d = g.sub(inputs.refLogp, inputs.logp);
    const kl = g.sub(g.sub(g.exp(d), d), 1);
    perToken = g.add(perToken, g.mul(kl, settings.beta));
    metrics.kl = maskedMean(g, g.stopGradient(kl), mask);
  }
  if (inputs.entropy) metrics.entropy = maskedMean(g, g.stopGradient(inputs.entropy), mask);
  Object.assign(metrics, clipMetrics(g, g.stopGradient(ratio), advantages, mask, settings));
  return { loss: aggregate(g, perToken, mask, settings.lossType, inputs.normalizer), metrics };
}

/** Token level: the per-token log-ratios; sequence level: each row's masked mean, [b, 1] (broadcast over its tokens). */
function importanceLogWeights(g: Graph, logRatio: Tensor, mask: Tensor, level: ImportanceSamplingLevel): Tensor {
  if (level === 'token') return logRatio;
  const sum = g.reduceSum(g.mul(logRatio, mask), [1], true);
  return g.div(sum, g.max(g.reduceSum(mask, [1], true), 1));
}

function aggregate(g: Graph, perToken: Tensor, mask: Tensor, lossType: GrpoLossType, normalizer: Tensor | undefined): Tensor {
  const masked = g.mul(perToken, mask);
  switch (lossType) {
    case 'grpo': {
      const perSequence = g.div(g.reduceSum(masked, [1]), g.max(g.reduceSum(mask, [1]), 1));
      return g.reduceMean(perSequence);
    }
    case 'bnpo':
      return g.div(g.reduceSum(masked), g.max(g.reduceSum(mask), 1));
    case 'dr_grpo':
    case 'dapo':
      if (!normalizer) throw new Error(`loss_type ${lossType} needs its normalizer input`);
      return g.div(g.reduceSum(masked), normalizer);
  }
}

/** Fractions of tokens whose ratio the clip binds: below 1 − ε with A < 0, above 1 + ε_high with A > 0 (TRL). */
function clipMetrics(g: Graph, ratio: Tensor, advantages: Tensor, mask: Tensor, settings: GrpoLossSettings): Record<string, Tensor> {
  const low = g.and(g.less(ratio, 1 - settings.epsilonLow), g.less(advantages, 0));
  const high = g.and(g.greater(ratio, 1 + settings.epsilonHigh), g.greater(advantages, 0));
  const asFloat = (b: Tensor) => g.cast(b, 'float32');
  return {
    'clip_ratio/low_mean': maskedMean(g, asFloat(low), mask),
    'clip_ratio/high_mean': maskedMean(g, asFloat(high), mask),
    'clip_ratio/region_mean': maskedMean(g, asFloat(g.or(low, high)), mask),
  };
}
