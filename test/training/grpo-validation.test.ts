import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { groupAdvantages } from '@aligntune/plugin-algo-grpo';
import { grpoKernel } from './grpo-helpers.js';
import { saveModelDir } from '@aligntune/core';
import { parseModelConfig } from '../models/model-types.js';
import { randomTensors } from '../models/graph-helpers.js';
import { createTrainer, readMetrics, runConfig, tempDir, tinyModelConfig, tinyTokenizer, writeJsonl, writeTinyModel } from './helpers.js';

const ROWS = [
  { prompt: 'a', completion: ' one', math: 1, length: 0.2 },
  { prompt: 'a', completion: ' two three', math: 0, length: null },
  { prompt: 'b', completion: ' four', math: null, length: null },
  { prompt: 'b', completion: ' five six seven', math: 1, length: 0.6 },
];

async function setup(): Promise<{ dir: string; model: string; data: string }> {
  const dir = tempDir();
  await writeTinyModel(join(dir, 'model'), 'gpt2', { seed: 2 });
  return { dir, model: join(dir, 'model'), data: writeJsonl(join(dir, 'rollouts.jsonl'), ROWS) };
}

describe('GRPO family options', () => {
  it.each([
    [{ per_device_batch_size: 6, num_generations: 4 }, 'train.per_device_batch_size'],
    [{ num_generations: 1, per_device_batch_size: 4 }, 'train.num_generations'],
    [{ loss_type: 'ppo', per_device_batch_size: 4, num_generations: 2 }, 'train.loss_type'],
    [{ importance_sampling_level: 'word', per_device_batch_size: 4, num_generations: 2 }, 'train.importance_sampling_level'],
    [{ steps_per_generation: 3, gradient_accumulation_steps: 2, per_device_batch_size: 4, num_generations: 2 }, 'train.steps_per_generation'],
    [{ reward_weights: [1, 2], per_device_batch_size: 4, num_generations: 2 }, 'train.reward_weights'],
  ])('%o is an error naming %s', async (train, field) => {
    const { dir, model, data } = await setup();
    const config = runConfig('grpo', model, data, join(dir, 'out'), { max_steps: 1, ...train }, { rewards: [{ type: 'math' }] });
    await expect(createTrainer(config, grpoKernel())).rejects.toThrow(field);
  });

  it('presets carry their defaults', async () => {
    const { dir, model, data } = await setup();
    const options = async (algo: string) => {
      const trainer = await createTrainer(runConfig(algo, model, data, join(dir, algo), { max_steps: 1, per_device_batch_size: 4, num_generations: 2 }, { rewards: [{ type: 'math' }] }), grpoKernel());
      return (trainer.algorithm as unknown as { options: Record<string, unknown> }).options;
    };
    expect(await options('grpo')).toMatchObject({ loss_type: 'grpo', scale_rewards: 'group', importance_sampling_level: 'token', beta: 0, epsilon: 0.2 });
    expect(await options('dapo')).toMatchObject({ loss_type: 'dapo', epsilon_high: 0.28, mask_truncated_completions: true, max_resample: 8 });
    expect(await options('drgrpo')).toMatchObject({ loss_type: 'dr_grpo', scale_rewards: 'none' });
    expect(await options('gspo')).toMatchObject({ loss_type: 'grpo', importance_sampling_level: 'sequence' });
  });

  it('replays per-reward columns with reward_weights, logs TRL metrics and the completions table', async () => {
    const { dir, model, data } = await setup();
    const train = { max_steps: 1, per_device_batch_size: 4, num_generations: 2, rollouts_from: data, reward_weights: [2, 0.5], log_completions_steps: 1, shuffle: false };
    const trainer = await createTrainer(runConfig('grpo', model, data, join(dir, 'out'), train, { rewards: [{ type: 'math' }, { type: 'length' }] }), grpoKernel());
    await trainer.train();
    // Σ w·r over the rewards present; all-null (row 3) → null → advantage 0
    const totals = [2 * 1 + 0.5 * 0.2, 0, null, 2 + 0.5 * 0.6];
    const table = readFileSync(join(dir, 'out/tables/completions/step-1.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(table.map((r) => r.reward)).toEqual(totals.map((t) => (t === null ? null : expect.closeTo(t, 12))));
    const advantages = groupAdvantages(totals, 2, 'group');
    expect(advantages[2]).toBe(0);
    expect(advantages[3]).toBe(0); // alone in its group once the null is left out
    expect(table.map((r) => r.advantage)).toEqual(advantages.map((a: number) => expect.closeTo(a, 12)));
    expect(table[0]).toMatchObject({ step: 1, prompt: 'a', completion: ' one', 'rewards/math': 1, 'rewards/length': 0.2 });
    const [row] = readMetrics(join(dir, 'out/metrics.jsonl'));
    for (const key of ['reward', 'reward_std', 'rewards/math/mean', 'rewards/math/std', 'frac_reward_zero_std', 'completions/mean_length', 'completions/clipped_ratio', 'completions/mean_terminated_length', 'entropy', 'clip_ratio/region_mean', 'num_tokens']) {
      expect(row, key).toHaveProperty([key]);
    }
    expect(row!.reward).toBeCloseTo((2.1 + 0 + 2.3) / 3, 5);
    expect(row!['completions/clipped_ratio']).toBe(0);
  });

  it('a KL reference with another vocabulary than the policy is an error naming model.ref_path', async () => {
    const { dir, model, data } = await setup();
    const tokenizer = tinyTokenizer();
    const base = tinyModelConfig('gpt2', tokenizer);
    const wider = parseModelConfig({ ...base.raw, vocab_size: base.vocabSize + 4 }, 'ref/config.json');
    await saveModelDir(join(dir, 'ref'), wider, { tensors: randomTensors(wider, 3), tokenizer });
    const train = { max_steps: 1, per_device_batch_size: 4, num_generations: 2, rollouts_from: data, beta: 0.1 };
    const config = runConfig('grpo', model, data, join(dir, 'out'), train, { rewards: [{ type: 'math' }], model: { name_or_path: model, ref_path: join(dir, 'ref') } });
    const trainer = await createTrainer(config, grpoKernel());
    await expect(trainer.train()).rejects.toThrow(/model\.ref_path.*vocabulary of \d+ tokens, the policy \d+/);
  });
});
