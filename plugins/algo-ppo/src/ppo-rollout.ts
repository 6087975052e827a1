import type { Rollout } from '@aligntune/core';

/**
 * A rollout with what PPO computes from it; per-token arrays cover the completion tokens. Its `total` is the
 * reward functions' (or the replayed score).
 */
export interface ScoredRollout extends Rollout {
  /** The reward model's score, when there is one. */
  readonly modelScore: number | null;
  /** The sequence score: reward_model_weight × modelScore + total (null counts 0) − the missing-EOS penalty. */
  readonly score: number;
  /** log π_old (the rollout-time policy), log π_ref and V_old per completion token. */
  readonly logps: Float64Array;
  readonly refLogps: Float64Array;
  readonly values: Float64Array;
  readonly kl: Float64Array;
  readonly advantages: Float64Array;
  readonly returns: Float64Array;
}
