import { collateSequences, float32Tensor, packRagged, realTokens, tokenFeeds, TokenizedDataset, type HostTensor, type SequenceBatch } from '@aligntune/core';
import type { PpoRollout, ScoredRollout } from './ppo-rollout.js';

/** Names of the loss graph's per-token inputs, [batch, seq]. */
export const FEED_NAMES = {
  mask: 'completion_mask',
  advantages: 'advantages',
  returns: 'returns',
  oldLogps: 'old_logps',
  oldValues: 'old_values',
} as const;

/** Prompt + completion rows, right-padded (positions 0..n−1), completion mask over the completion tokens. */
export function collateRollouts(rollouts: readonly PpoRollout[], padTokenId: number): SequenceBatch {
  const table = new TokenizedDataset(
    { prompt: packRagged(rollouts.map((r) => r.promptIds)), completion: packRagged(rollouts.map((r) => r.completionIds)) },
    rollouts.map((r) => ({ kind: 'completion' as const, prompt: r.prompt, extra: {} })),
  );
  return collateSequences(table, rollouts.map((_, i) => i), 'completion', { padTokenId });
}

/** Each row's completion-token values placed at its completion's positions of a [rows × length] grid, 0 elsewhere. */
export function completionGrid(batch: SequenceBatch, rows: readonly Float64Array[]): Float32Array {
  const grid = new Float32Array(batch.rows * batch.length);
  rows.forEach((values, r) => grid.set(values, r * batch.length + batch.promptLengths[r]!));
  return grid;
}

/** The inverse: each row's completion tokens read from a [rows × length] graph output. */
export function completionValues(batch: SequenceBatch, grid: ArrayLike<number>, lengths: readonly number[]): Float64Array[] {
  return lengths.map((n, r) => {
    const at = r * batch.length + batch.promptLengths[r]!;
    return Float64Array.from({ length: n }, (_, k) => grid[at + k]!);
  });
}

/** Token inputs, completion mask and the rollout-time per-token tensors of one micro-batch. */
export function microBatchFeeds(rollouts: readonly ScoredRollout[], padTokenId: number): { feeds: Record<string, HostTensor>; tokens: number } {
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
  return { feeds, tokens: realTokens(batch) };
}
