import { collateSequences, type SequenceBatch } from '../../data/collate.js';
import { packRagged } from '../../data/ragged.js';
import { TokenizedDataset } from '../../data/tokenized-dataset.js';
import type { Rollout } from './rollout.js';

/** Prompt + completion token rows of some rollouts, a table the collator reads. */
export function rolloutTable(rollouts: readonly Rollout[]): TokenizedDataset {
  return new TokenizedDataset(
    { prompt: packRagged(rollouts.map((r) => r.promptIds)), completion: packRagged(rollouts.map((r) => r.completionIds)) },
    rollouts.map((r) => ({ kind: 'completion' as const, prompt: r.prompt, extra: {} })),
  );
}

/** Prompt + completion rows, right-padded (positions 0..n−1), with the completion mask over the completion tokens. */
export function collateRollouts(rollouts: readonly Rollout[], padTokenId: number): SequenceBatch {
  return collateSequences(rolloutTable(rollouts), rollouts.map((_, i) => i), 'completion', { padTokenId });
}

/** Each row's completion-token values placed at its completion's positions of a [rows × length] grid, 0 elsewhere. */
export function completionGrid(batch: SequenceBatch, rows: readonly ArrayLike<number>[]): Float32Array {
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
