import type { Mat, Vec } from './ref-math.js';

/** Weights under Hugging Face names, float32 or float64, HF layouts. */
export type RefWeights = ReadonlyMap<string, ArrayLike<number>>;

/** One sequence of a batch, already split out: ids, key mask (1 = real token), positions. */
export interface RefSequence {
  readonly ids: readonly number[];
  readonly mask: readonly number[];
  readonly positions: readonly number[];
  /**
   * Per column: the largest position id of the forward call that computed it, what length-dependent RoPE (dynamic,
   * longrope) reads. One forward: the batch's largest position everywhere; incremental decoding: the prefill's for the
   * prompt columns, each decode step's own for its column (its keys stay in the cache as that step rotated them).
   */
  readonly ropeMaxPositions: readonly number[];
}

/** Per sequence: final hidden states [T][hidden] (after the final norm). */
export type RefHidden = Vec[];

/** Fetches weights by name with a size check, so a layout mistake fails loudly. */
export class WeightReader {
  constructor(private readonly weights: RefWeights) {}

  has(name: string): boolean {
    return this.weights.has(name);
  }

  vec(name: string, size: number): ArrayLike<number> {
    const w = this.weights.get(name);
    if (!w) throw new Error(`reference: missing weight ${name}`);
    if (w.length !== size) throw new Error(`reference: ${name} has ${w.length} values, expected ${size}`);
    return w;
  }

  mat(name: string, rows: number, cols: number): Mat {
    return { rows, cols, data: this.vec(name, rows * cols) };
  }

  /** Row `i` of a [rows, cols] matrix (an embedding lookup). */
  row(name: string, rows: number, cols: number, i: number): Vec {
    const m = this.mat(name, rows, cols);
    if (i < 0 || i >= rows) throw new Error(`reference: index ${i} out of range for ${name} [${rows}, ${cols}]`);
    return Float64Array.from({ length: cols }, (_, j) => m.data[i * cols + j]!);
  }
}
