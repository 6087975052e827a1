import 'reflect-metadata';
import { afterEach, describe, expect, it } from 'vitest';
import {
  DuplicateContributionError,
  Kernel,
  Reward,
  RewardRegistry,
  TaskRegistry,
  Tokens,
  TrainerFactory,
  extensionPoint,
  inject,
} from '@aligntune/core';
import { SingleProcessGroup } from '@aligntune/plugin-distributed-single';

class ExclamationReward {
  constructor(@inject(Tokens.Params) readonly params: { bonus?: number }) {}
  score({ completions }: { completions: string[] }): number[] {
    return completions.map((text) => (text.endsWith('!') ? 1 : 0) + (this.params.bonus ?? 0));
  }
}

@Reward('decorated-exclamation')
class DecoratedExclamationReward extends ExclamationReward {}

const rewardPoint = extensionPoint<ExclamationReward>('reward');

describe('registries for scripts (no package needed)', () => {
  afterEach(() => Kernel.setDefault(new Kernel()));

  it('registers a reward class by id into the process-wide kernel and creates it with params', async () => {
    RewardRegistry.register('exclamation', ExclamationReward);
    expect(RewardRegistry.has('exclamation')).toBe(true);
    expect(RewardRegistry.list()).toContain('exclamation');
    const reward = await Kernel.default().create(rewardPoint, 'exclamation', { params: { bonus: 1 } });
    expect(reward.score({ completions: ['hi!', 'hi'] })).toEqual([2, 1]);
    expect((await RewardRegistry.get('exclamation')).source).toBe('<programmatic>');
  });

  it('rejects a duplicate id loudly, naming both sources', () => {
    RewardRegistry.register('exclamation', ExclamationReward, { source: 'my-script' });
    expect(() => RewardRegistry.register('exclamation', ExclamationReward)).toThrow(DuplicateContributionError);
    expect(() => RewardRegistry.register('exclamation', ExclamationReward)).toThrow(
      'duplicate reward "exclamation": provided by both my-script and <programmatic>',
    );
  });

  it('registers decorated classes with registerClass and keeps kinds apart', () => {
    Kernel.default().registerClass(DecoratedExclamationReward);
    expect(RewardRegistry.list()).toEqual(['decorated-exclamation']);
    expect(TaskRegistry.list()).toEqual([]);
    expect(RewardRegistry.unregister('decorated-exclamation')).toBe(true);
    expect(RewardRegistry.has('decorated-exclamation')).toBe(false);
  });

  it('makes a registered reward usable in config validation', async () => {
    const kernel = new Kernel();
    kernel.register('reward', 'exclamation', ExclamationReward);
    kernel.registerClass(SingleProcessGroup, '@aligntune/plugin-distributed-single');
    const config = {
      algo: 'grpo',
      model: { name_or_path: 'gpt2' },
      datasets: [{ name: 'gsm8k' }],
      rewards: ['exclamation:weight=0.5'],
      train: { max_steps: 1 },
    };
    const { config: validated } = await TrainerFactory.resolveConfig(config, { kernel, projectDir: '/nonexistent' });
    expect(validated.rewards[0]).toMatchObject({ type: 'exclamation', weight: 0.5 });
    await expect(TrainerFactory.createTrainer(config, { kernel })).rejects.toThrow(
      'no installed plugin provides algorithm "grpo"; available: none',
    );
  });
});
