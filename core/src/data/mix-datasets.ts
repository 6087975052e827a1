import { DataError } from './data-error.js';
import { SeededRandom } from '../util/seeded-random.js';
import { identityOrder, permutation, shuffleInPlace } from './shuffle.js';

/**
 * How long a weighted mixture runs (Hugging Face interleave_datasets' stopping strategies):
 * `first_exhausted` stops when the first dataset runs out, so no row repeats; `all_exhausted` goes on until
 * every dataset has been used whole, repeating rows of the smaller ones.
 */
export type MixStopping = 'first_exhausted' | 'all_exhausted';

export interface MixOptions {
  seed: number;
  /** Shuffled rows and a seeded random interleave; otherwise rows in order and an even, deterministic interleave. */
  shuffle: boolean;
  stopping?: MixStopping;
}

/** One row of the mixture: which dataset and which of its rows. */
export interface MixEntry {
  dataset: number;
  row: number;
}

/**
 * The rows of a mixture in training order, as two parallel index arrays (6 bytes a row, no object per row):
 * position i is row `row[i]` of dataset `dataset[i]`.
 */
export interface Mixture {
  dataset: Uint16Array;
  row: Uint32Array;
}

/** The mixture as entries: for small mixtures (inspection, tests). */
export function mixEntries(mixture: Mixture): MixEntry[] {
  return Array.from(mixture.row, (row, i) => ({ dataset: mixture.dataset[i]!, row }));
}

/** Every row of each dataset in turn (an eval split: no weights, no shuffle). */
export function concatMixture(sizes: ReadonlyArray<{ dataset: number; size: number }>): Mixture {
  const total = sizes.reduce((sum, s) => sum + s.size, 0);
  const mixture: Mixture = { dataset: new Uint16Array(total), row: new Uint32Array(total) };
  let at = 0;
  for (const { dataset, size } of sizes) {
    mixture.dataset.fill(dataset, at, at + size);
    mixture.row.set(identityOrder(size), at);
    at += size;
  }
  return mixture;
}

/**
 * Mixes datasets of the given sizes so each contributes in proportion to its weight: dataset i gives
 * round(T × w_i / Σw) rows of the T in the mixture (largest remainder), where T is the longest mixture the
 * stopping strategy allows. Weight-0 datasets are left out. The same sizes, weights and seed always give the
 * same mixture.
 */
export function mixDatasets(sizes: readonly number[], weights: readonly number[], options: MixOptions): Mixture {
  const active = sizes.map((_, i) => i).filter((i) => weights[i]! > 0 && sizes[i]! > 0);
  if (active.length === 0) throw new DataError('no dataset to train on: every dataset is empty or has weight 0');
  const counts = mixCounts(active.map((i) => sizes[i]!), active.map((i) => weights[i]!), options.stopping ?? 'first_exhausted');
  const rows = active.map((i, k) => rowsOf(sizes[i]!, counts[k]!, options, i));
  const labels = interleave(counts, options);
  const next = new Array<number>(active.length).fill(0);
  const mixture: Mixture = { dataset: new Uint16Array(labels.length), row: new Uint32Array(labels.length) };
  for (let i = 0; i < labels.length; i++) {
    const k = labels[i]!;
    mixture.dataset[i] = active[k]!;
    mixture.row[i] = rows[k]![next[k]!++]!;
  }
  return mixture;
}

/** Rows per dataset: proportional to the weights, as many as the stopping strategy allows. */
export function mixCounts(sizes: readonly number[], weights: readonly number[], stopping: MixStopping): number[] {
  if (sizes.length === 1) return [sizes[0]!];
  const total = weights.reduce((a, b) => a + b, 0);
  const shares = weights.map((w) => w / total);
  const ratios = sizes.map((size, i) => size / shares[i]!);
  // the epsilon keeps float noise from dropping a row that exactly fits
  const length = stopping === 'first_exhausted' ? Math.floor(ratios.reduce((a, b) => Math.min(a, b)) + 1e-9) : Math.ceil(ratios.reduce((a, b) => Math.max(a, b)) - 1e-9);
  const counts = largestRemainder(shares, length);
  return stopping === 'first_exhausted' ? counts.map((c, i) => Math.min(c, sizes[i]!)) : counts.map((c, i) => Math.max(c, sizes[i]!));
}

function largestRemainder(shares: readonly number[], total: number): number[] {
  const exact = shares.map((s) => s * total);
  const counts = exact.map(Math.floor);
  let left = total - counts.reduce((a, b) => a + b, 0);
  const order = exact.map((x, i) => [x - Math.floor(x), i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (const [, i] of order) {
    if (left-- <= 0) break;
    counts[i]! += 1;
  }
  return counts;
}

/** `count` row indices of a dataset of `size`: a seeded shuffle per pass, or in order; repeats past `size`. */
function rowsOf(size: number, count: number, options: MixOptions, dataset: number): Uint32Array {
  const rows = new Uint32Array(count);
  for (let pass = 0, filled = 0; filled < count; pass++) {
    const order = options.shuffle ? permutation(size, options.seed, `mix:${dataset}:${pass}`) : identityOrder(size);
    const take = Math.min(size, count - filled);
    rows.set(order.subarray(0, take), filled);
    filled += take;
  }
  return rows;
}

/** The dataset label of each mixture position: seeded random, or evenly spread (smooth weighted round robin). */
function interleave(counts: readonly number[], options: MixOptions): Uint16Array {
  const total = counts.reduce((a, b) => a + b, 0);
  const labels = new Uint16Array(total);
  if (options.shuffle) {
    let at = 0;
    counts.forEach((count, k) => labels.fill(k, at, (at += count)));
    return shuffleInPlace(labels, new SeededRandom(options.seed, 'mix'));
  }
  const credit = counts.map(() => 0);
  for (let i = 0; i < total; i++) {
    counts.forEach((count, k) => (credit[k]! += count));
    let best = 0;
    for (let k = 1; k < counts.length; k++) if (credit[k]! > credit[best]!) best = k;
    credit[best]! -= total;
    labels[i] = best;
  }
  return labels;
}
