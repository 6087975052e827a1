import { SeededRandom } from '../models/seeded-random.js';

/** Fisher–Yates shuffle in place with a seeded generator. */
export function shuffleInPlace<T>(items: T[], random: SeededRandom): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random.nextFloat() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

/** 0..n-1 in a seeded random order; `stream` names an independent use of the seed (an epoch, a dataset). */
export function permutation(n: number, seed: number, stream: string): number[] {
  return shuffleInPlace(Array.from({ length: n }, (_, i) => i), new SeededRandom(seed, stream));
}

/** The row order of one epoch: a seeded shuffle per epoch when `shuffle` (train.shuffle), else 0..n-1. */
export function epochOrder(n: number, options: { shuffle: boolean; seed: number; epoch: number }): number[] {
  return options.shuffle ? permutation(n, options.seed, `epoch:${options.epoch}`) : Array.from({ length: n }, (_, i) => i);
}
