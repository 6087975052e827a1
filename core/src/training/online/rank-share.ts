import type { ProcessGroup } from '../../engine/process-group.js';

/**
 * Which part of a global generation batch this rank works on. Every rank holds the whole batch's rollouts (gathered,
 * or replayed alike), so group statistics, whitening and metrics are one process's; each rank generates, scores and
 * trains only its share (docs/distributed.md, "Online algorithms").
 */
export class RankShare {
  constructor(private readonly group: Pick<ProcessGroup, 'rank' | 'worldSize' | 'allReduce'>) {}

  get rank(): number {
    return this.group.rank;
  }

  get worldSize(): number {
    return this.group.worldSize;
  }

  /** This rank's contiguous block of `count` items (generation, scoring): [⌊r·count/N⌋, ⌊(r+1)·count/N⌋). */
  block(count: number): { start: number; end: number } {
    const { rank, worldSize } = this.group;
    return { start: Math.floor((rank * count) / worldSize), end: Math.floor(((rank + 1) * count) / worldSize) };
  }

  /**
   * This rank's part of each global micro-batch of `items` (cut into micro-batches of `microBatchSize` × ranks, in
   * order): rows [r·b, (r+1)·b) of each, as the trainer shares an offline batch. One rank: the micro-batches themselves.
   */
  microBatches<T>(items: readonly T[], microBatchSize: number): T[][] {
    const global = microBatchSize * this.worldSize;
    const parts: T[][] = [];
    for (let at = 0; at < items.length; at += global) parts.push(this.part(items.slice(at, at + global), microBatchSize));
    return parts;
  }

  /** This rank's rows [r·b, (r+1)·b) of one global micro-batch. */
  part<T>(globalMicroBatch: readonly T[], microBatchSize: number): T[] {
    return globalMicroBatch.slice(this.rank * microBatchSize, (this.rank + 1) * microBatchSize);
  }

  /**
   * Every rank's rows, in rank order: `own` are rows [start, start + own.length) of `total`. One sum-allreduce of a
   * zero-filled buffer in which each rank writes its rows (adding zeros is exact), after one of the row lengths.
   */
  async gather(own: readonly Float64Array[], start: number, total: number): Promise<Float64Array[]> {
    if (this.worldSize === 1) return [...own];
    const lengths = new Float64Array(total);
    own.forEach((row, i) => (lengths[start + i] = row.length));
    await this.group.allReduce([lengths], 'sum');
    const offsets = new Array<number>(total + 1).fill(0);
    lengths.forEach((n, i) => (offsets[i + 1] = offsets[i]! + n));
    const flat = new Float64Array(offsets[total]!);
    own.forEach((row, i) => flat.set(row, offsets[start + i]!));
    await this.group.allReduce([flat], 'sum');
    return Array.from({ length: total }, (_, i) => flat.subarray(offsets[i]!, offsets[i + 1]!));
  }
}
