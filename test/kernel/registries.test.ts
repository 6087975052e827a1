import 'reflect-metadata';
import { describe, expect, it } from 'vitest';
import {
  DuplicateContributionError,
  Reward,
  RewardRegistry,
  Tokens,
  TrainerFactory,
  defaultKernel,
  extensionPoint,
  inject,
} from '@aligntune/core';
import { startTestKernel } from '@aligntune/core/testing';
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
  it('registers a reward class by id into the kernel it views and creates it with params', async () => {
    const { kernel, registries } = startTestKernel();
    const RewardRegistry = registries.reward;
    RewardRegistry.register('exclamation', ExclamationReward);
    expect(RewardRegistry.has('exclamation')).toBe(true);
    expect(RewardRegistry.list()).toContain('exclamation');
    const reward = await kernel.create(rewardPoint, 'exclamation', { params: { bonus: 1 } });
    expect(reward.score({ completions: ['hi!', 'hi'] })).toEqual([2, 1]);
    expect((await RewardRegistry.get('exclamation')).source).toBe('<programmatic>');
  });

  it("the seed's RewardRegistry is a view on the default kernel, which TrainerFactory uses when given none", async () => {
    RewardRegistry.register('exclamation-default', ExclamationReward);
    expect(defaultKernel().has('reward', 'exclamation-default')).toBe(true);
    expect(startTestKernel().kernel.has('reward', 'exclamation-default')).toBe(false);
    defaultKernel().registerClass(SingleProcessGroup);
    const config = { algo: 'grpo', model: { name_or_path: 'gpt2' }, datasets: [{ name: 'gsm8k' }], rewards: ['exclamation-default'], train: { max_steps: 1 } };
    const { config: validated } = await TrainerFactory.resolveConfig(config, { projectDir: '/nonexistent' });
    expect(validated.rewards[0]).toMatchObject({ type: 'exclamation-default' });
  });

  it('rejects a duplicate id loudly, naming both sources', () => {
    const RewardRegistry = startTestKernel().registries.reward;
    RewardRegistry.register('exclamation', ExclamationReward, { source: 'my-script' });
    expect(() => RewardRegistry.register('exclamation', ExclamationReward)).toThrow(DuplicateContributionError);
    expect(() => RewardRegistry.register('exclamation', ExclamationReward)).toThrow(
      'duplicate reward "exclamation": provided by both my-script and <programmatic>',
    );
  });

  it('registers decorated classes with registerClass and keeps kinds apart', () => {
    const { kernel, registries } = startTestKernel();
    const { reward: RewardRegistry, task: TaskRegistry } = registries;
    kernel.registerClass(DecoratedExclamationReward);
    expect(RewardRegistry.list()).toEqual(['decorated-exclamation']);
    expect(TaskRegistry.list()).toEqual([]);
    expect(RewardRegistry.unregister('decorated-exclamation')).toBe(true);
    expect(RewardRegistry.has('decorated-exclamation')).toBe(false);
  });

  it('makes a registered reward usable in config validation', async () => {
    const { kernel } = startTestKernel({ plugins: ['@aligntune/plugin-distributed-single'] });
    kernel.register('reward', 'exclamation', ExclamationReward);
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
