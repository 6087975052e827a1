import type { Prompt } from '../../data/canonical-record.js';

/** One sampled (or replayed) completion of a prompt with its reward scores; an algorithm adds what it computes. */
export interface Rollout {
  /** The prompt's row in the training table (reward columns, logs); −1 in replay. */
  readonly row: number;
  readonly prompt: Prompt;
  readonly promptIds: Int32Array;
  /** The tokens trained on: up to and including the first EOS (all of them when there is none, or when sampling does not stop at EOS). */
  readonly completionIds: Int32Array;
  readonly completion: string;
  /** Whether an EOS is among completionIds: false when the completion was cut at the length limit. */
  readonly containsEos: boolean;
  /** Each reward's raw value, by name. */
  readonly rewards: Record<string, number | null>;
  /** Σ_k w_k r_k over the rewards that apply (null when none does), or the replayed score. */
  readonly total: number | null;
}

/**
 * The completion tokens trained on: up to and including the first EOS (what the completion mask covers), or all of
 * them with `keepAfterEos` (sampling that does not stop at EOS, PPO's stop_token "none").
 */
export function cutAfterEos(ids: ArrayLike<number>, eos: number, keepAfterEos = false): { ids: Int32Array; containsEos: boolean } {
  const all = Int32Array.from(ids);
  const at = all.indexOf(eos);
  if (at < 0) return { ids: all, containsEos: false };
  return { ids: keepAfterEos ? all : all.subarray(0, at + 1), containsEos: true };
}
