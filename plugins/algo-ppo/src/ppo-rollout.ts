import { type OnPolicyRollout } from '@aligntune/core/training';

/** A rollout with what PPO computes from it; per-token arrays cover the completion tokens. */
export interface ScoredRollout extends OnPolicyRollout {
  /** log π_ref and V_old per completion token. */
  readonly refLogps: Float64Array;
  readonly values: Float64Array;
  readonly advantages: Float64Array;
  readonly returns: Float64Array;
}
