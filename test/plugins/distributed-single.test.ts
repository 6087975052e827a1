import 'reflect-metadata';
import { describe, expect, it } from 'vitest';
import { ExtensionPoints } from '@aligntune/core';
import { startTestKernel } from '@aligntune/core/testing';
import { SingleProcessGroup } from '@aligntune/plugin-distributed-single';

const init = { nodes: 1, processesPerNode: 1, seed: 42 };

describe('distributed backend "single"', () => {
  it('is a world of one: collectives leave buffers as they are', async () => {
    const group = new SingleProcessGroup();
    await group.init(init);
    const grads = [new Float32Array([1, -2, 3.5])];
    await group.allReduce(grads, 'mean');
    await group.allReduce(grads, 'sum');
    await group.broadcast(grads, 0);
    await group.barrier();
    expect([...grads[0]!]).toEqual([1, -2, 3.5]);
    expect({ rank: group.rank, worldSize: group.worldSize, localRank: group.localRank }).toEqual({ rank: 0, worldSize: 1, localRank: 0 });
  });

  it('refuses what one process cannot do', async () => {
    const group = new SingleProcessGroup();
    await expect(group.allReduce([], 'sum')).rejects.toThrow('allReduce called before init()');
    await expect(group.init({ ...init, processesPerNode: 2 })).rejects.toThrow(/runs one process.*1 node\(s\) × 2 process/);
    await group.init(init);
    await expect(group.broadcast([], 1)).rejects.toThrow('root rank 1 does not exist');
  });

  it('is created by the kernel through its extension point', async () => {
    const { kernel } = startTestKernel({ plugins: ['@aligntune/plugin-distributed-single'] });
    const group = await kernel.create(ExtensionPoints.distributedBackend, 'single');
    expect(group).toBeInstanceOf(SingleProcessGroup);
  });
});
