import { SeededRandom } from '../util/seeded-random.js';

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

export interface CursorPosition {
  epoch: number;
  at: number;
}

/**
 * Rows of a table handed out in epoch order, cycling through epochs (a fresh seeded order each): the prompt
 * stream of online algorithms, which sample as many prompts per step as they need.
 */
export class EpochCursor {
  private epoch = 0;
  private order: number[] = [];
  private at = 0;

  constructor(
    private readonly rows: number,
    private readonly options: { shuffle: boolean; seed: number },
  ) {}

  /** Where the cursor stands: the epoch being handed out (-1 before the first) and the rows of it already given. */
  get position(): CursorPosition {
    return { epoch: this.epoch - 1, at: this.at };
  }

  /** Continues from a saved position (a resumed run goes on with the prompts an uninterrupted one would use). */
  seek({ epoch, at }: CursorPosition): void {
    this.epoch = epoch + 1;
    this.order = epoch < 0 ? [] : epochOrder(this.rows, { ...this.options, epoch });
    this.at = at;
  }

  next(count: number): number[] {
    const out: number[] = [];
    while (out.length < count) {
      if (this.at >= this.order.length) {
        this.order = epochOrder(this.rows, { ...this.options, epoch: this.epoch++ });
        this.at = 0;
      }
      out.push(this.order[this.at++]!);
    }
    return out;
  }
}
