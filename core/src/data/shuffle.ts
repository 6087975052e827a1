import { SeededRandom } from '../util/seeded-random.js';

/** Fisher–Yates shuffle in place with a seeded generator (arrays and typed arrays alike). */
export function shuffleInPlace<T extends { length: number; [i: number]: number }>(items: T, random: SeededRandom): T {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random.nextFloat() * (i + 1));
    const swap = items[i]!;
    items[i] = items[j]!;
    items[j] = swap;
  }
  return items;
}

/** 0..n-1 in order, as row indices (4 bytes a row, whatever the row count). */
export function identityOrder(n: number): Uint32Array {
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  return order;
}

/** 0..n-1 in a seeded random order; `stream` names an independent use of the seed (an epoch, a dataset). */
export function permutation(n: number, seed: number, stream: string): Uint32Array {
  return shuffleInPlace(identityOrder(n), new SeededRandom(seed, stream));
}

/** The row order of one epoch: a seeded shuffle per epoch when `shuffle` (train.shuffle), else 0..n-1. */
export function epochOrder(n: number, options: { shuffle: boolean; seed: number; epoch: number }): Uint32Array {
  return options.shuffle ? permutation(n, options.seed, `epoch:${options.epoch}`) : identityOrder(n);
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
  private order: Uint32Array = new Uint32Array(0);
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
    this.order = epoch < 0 ? new Uint32Array(0) : epochOrder(this.rows, { ...this.options, epoch });
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
