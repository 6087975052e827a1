import { describe, expect, it } from 'vitest';
import type { CollectiveBuffer } from '@aligntune/core/engine';
import { RankShare } from '@aligntune/core/training';

/**
 * How an online generation batch is shared among ranks, without MPI: N in-process ranks whose sum-allreduce adds
 * every rank's buffer (run when all have posted theirs, as MPI's does).
 */
function ranks(worldSize: number): RankShare[] {
  const waiting: Array<{ buffers: CollectiveBuffer[]; done: () => void }> = [];
  const allReduce = (buffers: CollectiveBuffer[]) =>
    new Promise<void>((done) => {
      waiting.push({ buffers, done });
      if (waiting.length < worldSize) return;
      const posted = waiting.splice(0);
      posted[0]!.buffers.forEach((_, b) => {
        const sum = posted[0]!.buffers[b]!.map((_, i) => posted.reduce((s, p) => s + p.buffers[b]![i]!, 0));
        for (const p of posted) p.buffers[b]!.set(sum);
      });
      for (const p of posted) p.done();
    });
  return Array.from({ length: worldSize }, (_, rank) => new RankShare({ rank, worldSize, allReduce }));
}

describe('RankShare', () => {
  it("gives each rank rows [r·b, (r+1)·b) of every global micro-batch, and one rank every micro-batch whole", () => {
    const rows = Array.from({ length: 8 }, (_, i) => i);
    const [r0, r1] = ranks(2);
    expect(r0!.microBatches(rows, 2)).toEqual([[0, 1], [4, 5]]);
    expect(r1!.microBatches(rows, 2)).toEqual([[2, 3], [6, 7]]);
    expect(ranks(1)[0]!.microBatches(rows, 4)).toEqual([[0, 1, 2, 3], [4, 5, 6, 7]]);
  });

  it('splits a batch into contiguous blocks covering it (a rank may get none)', () => {
    expect(ranks(2).map((r) => r.block(5))).toEqual([{ start: 0, end: 2 }, { start: 2, end: 5 }]);
    expect(ranks(3).map((r) => r.block(1))).toEqual([{ start: 0, end: 0 }, { start: 0, end: 0 }, { start: 0, end: 1 }]);
  });

  it('gathers rows of unequal lengths from every rank into every rank, NaN (a null reward) kept', async () => {
    const group = ranks(2);
    const own = [[Float64Array.of(1, 2, 3)], [Float64Array.of(NaN), Float64Array.of(4.5, -6)]];
    const gathered = await Promise.all(group.map((r, k) => r.gather(own[k]!, k === 0 ? 0 : 1, 3)));
    for (const rows of gathered) expect(rows.map((r) => [...r])).toEqual([[1, 2, 3], [NaN], [4.5, -6]]);
  });
});
