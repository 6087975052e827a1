import { type Graph, type Tensor } from '@aligntune/core/engine';
import { maskedMean, type LossGraph } from '@aligntune/core/training';

/** Per-token quantities of one micro-batch, [b, seq] aligned with input_ids (column t = token t). */
export interface RlooLossInputs {
  /** log πθ from logits / temperature. */
  readonly logp: Tensor;
  /** log π_old: the rollout-time policy's log-probs (fed). */
  readonly oldLogp: Tensor;
  /** 1 on the completion tokens. */
  readonly mask: Tensor;
  /** [b] leave-one-out advantages. */
  readonly advantages: Tensor;
  /** Per-token entropy of the policy, for policy/entropy_avg. */
  readonly entropy: Tensor;
}

/**
 * TRL's RLOOTrainer loss over one micro-batch: one ratio per sequence, ρ = exp(Σ_t m·(log πθ − log π_old)),
 * pg = mean_b max(−A·ρ, −A·clip(ρ, 1 ± cliprange)); metrics under TRL's names.
 */
export function rlooLoss(g: Graph, inputs: RlooLossInputs, settings: { cliprange: number }): LossGraph {
  const { mask, advantages: A } = inputs;
  const tokenDiff = g.sub(inputs.logp, inputs.oldLogp);
  const logRatio = g.reduceSum(g.mul(tokenDiff, mask), [1]);
  const ratio = g.exp(logRatio);
  const pgUnclipped = g.neg(g.mul(A, ratio));
  const pgClipped = g.neg(g.mul(A, g.clip(ratio, 1 - settings.cliprange, 1 + settings.cliprange)));
  const pg = g.reduceMean(g.max(pgUnclipped, pgClipped));
  const detached = (x: Tensor) => g.stopGradient(x);
  return {
    loss: pg,
    metrics: {
      'loss/policy_avg': detached(pg),
      'policy/approxkl_avg': g.mul(g.reduceMean(detached(g.mul(logRatio, logRatio))), 0.5),
      'policy/clipfrac_avg': g.reduceMean(g.cast(g.greater(detached(pgClipped), detached(pgUnclipped)), 'float32')),
      'policy/entropy_avg': maskedMean(g, detached(inputs.entropy), mask),
      'val/ratio': maskedMean(g, detached(g.exp(tokenDiff)), mask),
    },
  };
}
