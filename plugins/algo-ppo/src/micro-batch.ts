import { collateRollouts, completionGrid, float32Tensor, realTokens, tokenFeeds, type TrainBatch } from '@aligntune/core/training';
import type { ScoredRollout } from './ppo-rollout.js';

/** Names of the loss graph's per-token inputs, [batch, seq]. */
export const FEED_NAMES = {
  mask: 'completion_mask',
  advantages: 'advantages',
  returns: 'returns',
  oldLogps: 'old_logps',
  oldValues: 'old_values',
} as const;

/** Token inputs, completion mask and the rollout-time per-token tensors of one micro-batch. */
export function microBatchFeeds(rollouts: readonly ScoredRollout[], padTokenId: number): TrainBatch {
  const batch = collateRollouts(rollouts, padTokenId);
  const dims = [batch.rows, batch.length];
  const grid = (pick: (r: ScoredRollout) => Float64Array) => float32Tensor(completionGrid(batch, rollouts.map(pick)), dims);
  const feeds = {
    ...tokenFeeds(batch),
    [FEED_NAMES.mask]: float32Tensor(batch.completionMask, dims),
    [FEED_NAMES.advantages]: grid((r) => r.advantages),
    [FEED_NAMES.returns]: grid((r) => r.returns),
    [FEED_NAMES.oldLogps]: grid((r) => r.logps),
    [FEED_NAMES.oldValues]: grid((r) => r.values),
  };
  // the loss and its metrics are token means over the mask: their normaliser across ranks
  return { feeds, tokens: realTokens(batch), weight: batch.completionMask.reduce((s, m) => s + m, 0) };
}
