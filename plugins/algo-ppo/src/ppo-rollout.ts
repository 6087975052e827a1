import type { Prompt } from '@aligntune/core';

/** One sampled (or replayed) completion of a prompt, before the models score it. */
export interface PpoRollout {
  /** The prompt's row in the training table (reward columns, logs); −1 in replay. */
  readonly row: number;
  readonly prompt: Prompt;
  readonly promptIds: Int32Array;
  /** The tokens trained on: up to and including the first EOS with stop_token "eos", all of them with "none". */
  readonly completionIds: Int32Array;
  readonly completion: string;
  /** Whether an EOS is among completionIds (missing_eos_penalty applies otherwise). */
  readonly containsEos: boolean;
  /** Each reward function's raw value, by name (none in replay). */
  readonly rewards: Record<string, number | null>;
  /** Σ_k w_k r_k over the reward functions that apply (null when none does), or the replayed score. */
  readonly ruleScore: number | null;
}

/** A rollout with what PPO computes from it; per-token arrays cover the completion tokens. */
export interface ScoredRollout extends PpoRollout {
  /** The reward model's score, when there is one. */
  readonly modelScore: number | null;
  /** The sequence score: reward_model_weight × modelScore + ruleScore (null counts 0) − the missing-EOS penalty. */
  readonly score: number;
  /** log π_old (the rollout-time policy), log π_ref and V_old per completion token. */
  readonly logps: Float64Array;
  readonly refLogps: Float64Array;
  readonly values: Float64Array;
  readonly kl: Float64Array;
  readonly advantages: Float64Array;
  readonly returns: Float64Array;
}

/** With stop_token "eos": the tokens up to and including the first EOS (all of them when there is none). */
export function cutAfterEos(ids: ArrayLike<number>, eos: number, stopAtEos: boolean): { ids: Int32Array; containsEos: boolean } {
  const all = Int32Array.from(ids);
  const at = all.indexOf(eos);
  if (at < 0) return { ids: all, containsEos: false };
  return { ids: stopAtEos ? all.subarray(0, at + 1) : all, containsEos: true };
}
