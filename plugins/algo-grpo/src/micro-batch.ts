import { type HostTensor } from '@aligntune/core/engine';
import { type SequenceBatch } from '@aligntune/core/data';
import { collateRollouts, float32Tensor, tokenFeeds, type Rollout } from '@aligntune/core/training';

/** Names of the loss graph's rollout inputs. */
export const GRPO_FEEDS = {
  mask: 'completion_mask',
  advantages: 'advantages',
  oldLogps: 'old_logps',
  normalizer: 'loss_normalizer',
} as const;

/** A rollout with its group-relative advantage. */
export type GroupRollout = Rollout & { readonly advantage: number };

/** Prompt + completion rows of some rollouts, with the loss's completion mask. */
export interface CollatedGroup {
  readonly batch: SequenceBatch;
  /** [rows × length] float: completion tokens, all 0 for a truncated completion under mask_truncated_completions. */
  readonly mask: Float32Array;
  readonly activeTokens: number;
}

export function collateGroup(rollouts: readonly Rollout[], padTokenId: number, maskTruncated: boolean): CollatedGroup {
  const batch = collateRollouts(rollouts, padTokenId);
  const mask = Float32Array.from(batch.completionMask);
  rollouts.forEach((r, i) => {
    if (maskTruncated && !r.containsEos) mask.fill(0, i * batch.length, (i + 1) * batch.length);
  });
  return { batch, mask, activeTokens: mask.reduce((s, m) => s + m, 0) };
}

/** Token inputs, completion mask and advantages of a collated micro-batch. */
export function groupFeeds(rollouts: readonly GroupRollout[], collated: CollatedGroup): Record<string, HostTensor> {
  const { batch, mask } = collated;
  return {
    ...tokenFeeds(batch),
    [GRPO_FEEDS.mask]: float32Tensor(mask, [batch.rows, batch.length]),
    [GRPO_FEEDS.advantages]: float32Tensor(rollouts.map((r) => r.advantage), [batch.rows]),
  };
}
