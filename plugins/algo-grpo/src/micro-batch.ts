import { collateSequences, float32Tensor, packRagged, tokenFeeds, TokenizedDataset, type HostTensor, type SequenceBatch } from '@aligntune/core';
import type { Rollout } from './rollout.js';

export const COMPLETION_MASK = 'completion_mask';
export const ADVANTAGES = 'advantages';
export const OLD_LOGPS = 'old_logps';
export const LOSS_NORMALIZER = 'loss_normalizer';

/** Prompt + completion rows of some rollouts, right-padded (positions 0..n−1), with the loss's completion mask. */
export interface CollatedRollouts {
  readonly batch: SequenceBatch;
  /** [rows × length] float: completion tokens, all 0 for a truncated completion under mask_truncated_completions. */
  readonly mask: Float32Array;
  readonly activeTokens: number;
}

export function collateRollouts(rollouts: readonly Rollout[], padTokenId: number, maskTruncated: boolean): CollatedRollouts {
  const table = new TokenizedDataset(
    { prompt: packRagged(rollouts.map((r) => r.promptIds)), completion: packRagged(rollouts.map((r) => r.completionIds)) },
    rollouts.map((r) => ({ kind: 'completion' as const, prompt: r.prompt, extra: {} })),
  );
  const batch = collateSequences(table, rollouts.map((_, i) => i), 'completion', { padTokenId });
  const mask = Float32Array.from(batch.completionMask);
  rollouts.forEach((r, i) => {
    if (maskTruncated && !r.terminated) mask.fill(0, i * batch.length, (i + 1) * batch.length);
  });
  return { batch, mask, activeTokens: mask.reduce((s, m) => s + m, 0) };
}

/** Token inputs, completion mask and advantages of a collated micro-batch. */
export function rolloutFeeds(rollouts: readonly Rollout[], collated: CollatedRollouts): Record<string, HostTensor> {
  const { batch, mask } = collated;
  return {
    ...tokenFeeds(batch),
    [COMPLETION_MASK]: float32Tensor(mask, [batch.rows, batch.length]),
    [ADVANTAGES]: float32Tensor(rollouts.map((r) => r.advantage), [batch.rows]),
  };
}
