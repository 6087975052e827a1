import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { rlooKernel } from './rloo-helpers.js';
import { createTrainer, runConfig, tempDir, writeJsonl, writeTinyModel } from './helpers.js';

describe('RLOO options', () => {
  it.each([
    [{ rloo_k: 1 }, {}, 'train.rloo_k'],
    [{ rloo_k: 4, per_device_batch_size: 3, rollout_batch_size: 6 }, {}, 'train.rollout_batch_size'],
    [{ num_mini_batches: 2, per_device_batch_size: 2, rollout_batch_size: 6 }, {}, 'train.rollout_batch_size'],
    [{}, { model: { name_or_path: 'MODEL', reward_path: 'rm' } }, 'model.reward_path'],
    [{}, { model: { name_or_path: 'MODEL', value_path: 'vm' } }, 'model.value_path'],
    [{}, { rewards: [] }, 'rewards'],
  ])('%o %o is an error naming %s', async (train, extra, field) => {
    const dir = tempDir();
    await writeTinyModel(join(dir, 'model'), 'gpt2', { seed: 2 });
    const data = writeJsonl(join(dir, 'prompts.jsonl'), [{ prompt: '1+1=', answer: '2' }]);
    const model = (extra as { model?: Record<string, string> }).model;
    const config = runConfig('rloo', join(dir, 'model'), data, join(dir, 'out'), { max_steps: 1, per_device_batch_size: 4, ...train }, {
      rewards: [{ type: 'math' }],
      ...extra,
      ...(model ? { model: { ...model, name_or_path: join(dir, 'model') } } : {}),
    });
    await expect(createTrainer(config, rlooKernel())).rejects.toThrow(field);
  });
});
