import { epochOrder } from '../data/shuffle.js';
import { batchAt } from '../data/collate.js';

/** Where the data stream stands: the epoch and the next micro-batch within it. Saved in checkpoints. */
export interface DataPosition {
  epoch: number;
  microBatch: number;
}

export interface BatchStreamOptions {
  rows: number;
  batchSize: number;
  shuffle: boolean;
  seed: number;
}

/**
 * The training rows as an endless stream of micro-batches: each epoch is a seeded order of the rows (a fresh
 * shuffle per epoch, or 0..n−1) cut into batches, the last one possibly short. An epoch's order depends only
 * on (seed, epoch), so the position alone restores the stream exactly on resume.
 */
export class BatchStream {
  private position: DataPosition = { epoch: 0, microBatch: 0 };
  private cached?: { epoch: number; order: Uint32Array };

  constructor(private readonly options: BatchStreamOptions) {
    if (options.rows <= 0) throw new Error('no training rows');
  }

  get microBatchesPerEpoch(): number {
    return Math.ceil(this.options.rows / this.options.batchSize);
  }

  get current(): DataPosition {
    return { ...this.position };
  }

  /** Epochs completed as a fraction (what the metrics' `epoch` shows). */
  get epochProgress(): number {
    return this.position.epoch + this.position.microBatch / this.microBatchesPerEpoch;
  }

  seek(position: DataPosition): void {
    this.position = { ...position };
  }

  next(): number[] {
    const order = this.epochRows(this.position.epoch);
    const batch = batchAt(order, this.position.microBatch * this.options.batchSize, this.options.batchSize);
    this.position.microBatch++;
    if (this.position.microBatch >= this.microBatchesPerEpoch) this.position = { epoch: this.position.epoch + 1, microBatch: 0 };
    return batch;
  }

  /** The epoch's row order (4 bytes a row), cut into micro-batches as they are asked for. */
  private epochRows(epoch: number): Uint32Array {
    if (this.cached?.epoch !== epoch) this.cached = { epoch, order: epochOrder(this.options.rows, { shuffle: this.options.shuffle, seed: this.options.seed, epoch }) };
    return this.cached.order;
  }
}
