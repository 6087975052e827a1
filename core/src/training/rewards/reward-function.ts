import type { ChatMessage } from '../../data/canonical-record.js';
import { extensionPoint } from '../../kernel/extension-point.js';

/**
 * One batch to score: sample i is `prompts[i]` answered by `completions[i]`. `columns` carries the dataset's
 * other fields per sample (`columns.reference[i]`, `columns.test_list[i]`, ...), so a reward reads what it needs.
 */
export interface RewardBatch {
  prompts: (string | ChatMessage[])[];
  completions: string[];
  /** Completion token ids (EOS included) when the caller tokenized them; length-in-tokens rewards need them. */
  completionIds?: number[][];
  columns: Record<string, unknown[]>;
}

/** A score per sample; `null` = this reward does not apply to that sample (skipped when aggregating). */
export type RewardValues = (number | null)[];

/**
 * What a reward contribution provides. Rewards of one batch are awaited concurrently, so an async reward
 * (a sandbox, a remote judge) does not hold the others up.
 */
export interface RewardFunction {
  score(batch: RewardBatch): RewardValues | Promise<RewardValues>;
}

/** Typed token of the `reward` extension point: `kernel.create(rewardPoint, 'length', { params })`. */
export const rewardPoint = extensionPoint<RewardFunction>('reward');
