import type { Prompt } from '@aligntune/core';

/** One sampled (or replayed) completion with its scores; G consecutive rollouts share a prompt. */
export interface Rollout {
  /** The prompt's row in the training table (reward columns, logs). */
  readonly row: number;
  readonly prompt: Prompt;
  readonly promptIds: Int32Array;
  /** Completion tokens up to and including the first EOS (all of them when there is none). */
  readonly completionIds: Int32Array;
  readonly completion: string;
  /** Ended with EOS; false when cut at max_completion_length. */
  readonly terminated: boolean;
  /** Each reward's raw value, by name. */
  readonly rewards: Record<string, number | null>;
  /** Σ_k w_k r_k over the rewards that apply; null when none does. */
  readonly total: number | null;
  advantage: number;
}

/** Keeps the tokens up to and including the first EOS: what the completion mask covers. */
export function untilFirstEos(ids: ArrayLike<number>, eos: number): { ids: Int32Array; terminated: boolean } {
  const all = Int32Array.from(ids);
  const at = all.indexOf(eos);
  return at < 0 ? { ids: all, terminated: false } : { ids: all.subarray(0, at + 1), terminated: true };
}
