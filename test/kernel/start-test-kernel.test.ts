import 'reflect-metadata';
import { describe, expect, it } from 'vitest';
import { Reward, Tokens, extensionPoint, inject } from '@aligntune/core';
import { startTestKernel } from '@aligntune/core/testing';

interface Scorer {
  score(batch: { completions: string[] }): number[];
}
const rewardPoint = extensionPoint<Scorer>('reward');

@Reward('length')
class ConstantLength implements Scorer {
  score({ completions }: { completions: string[] }): number[] {
    return completions.map(() => 42);
  }
}

@Reward('config-echo')
class ConfigEcho implements Scorer {
  constructor(@inject(Tokens.Config) readonly config: { tag: number }) {}
  score({ completions }: { completions: string[] }): number[] {
    return completions.map(() => this.config.tag);
  }
}

describe('startTestKernel', () => {
  it('reads a named plugin through its manifest and imports it only when a declared contribution is needed', async () => {
    const { kernel } = startTestKernel({ plugins: ['@aligntune/plugin-tasks-builtin'] });
    expect(kernel.ids('task')).toEqual(['classification', 'code', 'conversation', 'math', 'summarization']);
    expect(kernel.pluginStates()).toMatchObject([{ name: '@aligntune/plugin-tasks-builtin', status: 'pending' }]);
    expect((await kernel.ensure('task', 'math')).source).toBe('@aligntune/plugin-tasks-builtin');
    expect(kernel.pluginStates()).toMatchObject([{ status: 'loaded', warnings: [] }]);
  });

  it('lets a decorated class replace a package contribution of the same id (a test double), keeping the rest', async () => {
    const { kernel } = startTestKernel({ plugins: ['@aligntune/plugin-rewards-builtin', ConstantLength] });
    const length = await kernel.create(rewardPoint, 'length');
    expect(length.score({ completions: ['a b c'] })).toEqual([42]);
    expect((await kernel.ensure('reward', 'math')).source).toBe('@aligntune/plugin-rewards-builtin');
    expect(kernel.record('reward', 'length')!.source).toBe('test');
  });

  it('binds its config for contributions created without one, and shares nothing with another test kernel', async () => {
    const first = startTestKernel({ plugins: [ConfigEcho], config: { tag: 7 } });
    expect((await first.kernel.create(rewardPoint, 'config-echo')).score({ completions: ['x'] })).toEqual([7]);
    first.registries.reward.register('script-only', ConstantLength);
    const second = startTestKernel();
    expect(second.registries.reward.has('script-only')).toBe(false);
    expect(second.kernel.ids('reward')).toEqual([]);
  });

  it('names a plugin package that is not installed', () => {
    expect(() => startTestKernel({ plugins: ['@aligntune/plugin-nope'] })).toThrow('plugin @aligntune/plugin-nope: package not found from');
  });
});
