import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSafetensors, RewardModel, ValueModel } from '@aligntune/core';
import { PpoOptions } from '@aligntune/plugin-algo-ppo';
import { ppoKernel, valueWeightsFile, writeTinyScoreModel } from './ppo-helpers.js';
import { createTrainer, readMetrics, runConfig, tempDir, writeJsonl, writeTinyModel } from './helpers.js';

const PROMPTS = [{ prompt: 'the cat' }, { prompt: 'count' }, { prompt: 'hello there' }, { prompt: 'a' }];
const REPLAY = [
  { prompt: 'the cat sat', completion: ' on the mat', score: 1 },
  { prompt: 'count', completion: ' one two', score: -0.5 },
  { prompt: 'hello', completion: ' seven', score: 0.3 },
  { prompt: 'a', completion: ' b c d', score: 2 },
];

async function setup(): Promise<{ dir: string; model: string; prompts: string; replay: string }> {
  const dir = tempDir();
  await writeTinyModel(join(dir, 'model'), 'gpt2', { seed: 2 });
  return { dir, model: join(dir, 'model'), prompts: writeJsonl(join(dir, 'prompts.jsonl'), PROMPTS), replay: writeJsonl(join(dir, 'replay.jsonl'), REPLAY) };
}

const LENGTH = { type: 'length', min_length: 0, max_length: 4 };

describe('PPO options', () => {
  it.each([
    [{ num_mini_batches: 3, per_device_batch_size: 2, rollout_batch_size: 4 }, 'train.rollout_batch_size: must equal num_mini_batches × gradient_accumulation_steps × per_device_batch_size = 3 × 1 × 2 (got 4)'],
    [{ per_device_batch_size: 3, rollout_batch_size: 4 }, 'train.rollout_batch_size: must be a multiple of gradient_accumulation_steps × per_device_batch_size = 3 (got 4)'],
    [{ kl_estimator: 'k2' }, 'train.kl_estimator'],
    [{ stop_token: 'eot' }, 'train.stop_token'],
    [{ gamma: 1.5 }, 'train.gamma'],
  ])('%o is an error naming the field', async (train, message) => {
    const { dir, model, prompts } = await setup();
    const config = runConfig('ppo', model, prompts, join(dir, 'out'), { max_steps: 1, per_device_batch_size: 4, rollout_batch_size: 4, ...train }, { rewards: [LENGTH] });
    await expect(createTrainer(config, ppoKernel())).rejects.toThrow(message);
  });

  it('needs a reward model or reward functions', async () => {
    const { dir, model, prompts } = await setup();
    await expect(createTrainer(runConfig('ppo', model, prompts, join(dir, 'out'), { max_steps: 1 }), ppoKernel())).rejects.toThrow('rewards: ppo needs a reward model');
  });

  it("has TRL's defaults", async () => {
    const { dir, model, prompts } = await setup();
    const trainer = await createTrainer(runConfig('ppo', model, prompts, join(dir, 'out'), { max_steps: 1 }, { rewards: [LENGTH] }), ppoKernel());
    const options = (trainer.algorithm as unknown as { options: PpoOptions }).options;
    expect(options).toMatchObject({
      kl_coef: 0.05, cliprange: 0.2, cliprange_value: 0.2, vf_coef: 0.1, gamma: 1, lam: 0.95, num_ppo_epochs: 4, kl_estimator: 'k1',
      whiten_rewards: false, response_length: 53, learning_rate: 3e-6, reward_model_weight: 1, stop_token: 'eos',
    });
    // temperature is left unset so that the model's generation_config.json can give it; TRL's 0.7 is the fallback
    expect(PpoOptions.samplingKnobs(options).temperature).toEqual({ key: 'train.temperature', value: undefined, fallback: 0.7 });
  });
});

describe('PPO runs', () => {
  it('scores with a reward model and a reward function, weighted, with the missing-EOS penalty; the value model starts as the reward model', async () => {
    const { dir, model, prompts } = await setup();
    await writeTinyScoreModel(join(dir, 'rm'), 'gpt2', 5);
    const train = {
      max_steps: 1, per_device_batch_size: 4, rollout_batch_size: 4, response_length: 3, missing_eos_penalty: 3, reward_model_weight: 2,
      log_completions_steps: 1, learning_rate: 1e-12, seed: 4,
    };
    const config = runConfig('ppo', model, prompts, join(dir, 'out'), train, { model: { name_or_path: model, reward_path: join(dir, 'rm') }, rewards: [{ ...LENGTH, weight: 0.5 }] });
    await (await createTrainer(config, ppoKernel())).train();

    const table = readFileSync(join(dir, 'out/tables/completions/step-1.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>);
    expect(Object.keys(table[0]!)).toEqual(['step', 'prompt', 'completion', 'rewards/length', 'reward_model', 'score']);
    const penalties = table.map((r) => r.score! - 2 * r.reward_model! - 0.5 * r['rewards/length']!);
    for (const p of penalties) expect([0, -3].some((v) => Math.abs(p - v) < 1e-6)).toBe(true);
    expect(penalties).toContain(-3); // a random tiny model rarely samples EOS within 3 tokens
    expect(new Set(table.map((r) => r.reward_model)).size).toBeGreaterThan(1);

    const metrics = readMetrics(join(dir, 'out/metrics.jsonl'))[0]!;
    for (const key of ['objective/kl', 'objective/entropy', 'objective/non_score_reward', 'objective/rlhf_reward', 'objective/scores', 'policy/approxkl_avg', 'policy/clipfrac_avg', 'loss/policy_avg', 'loss/value_avg', 'val/clipfrac_avg', 'val/ratio', 'eps']) {
      expect(metrics[key], key).toBeTypeOf('number');
    }
    expect(metrics['objective/scores']).toBeCloseTo(table.reduce((s, r) => s + r.score!, 0) / table.length, 5);

    // final/ is the policy; final/value_model started from the reward model (lr 1e-12: unchanged)
    const value = await ValueModel.load(join(dir, 'out/final/value_model'), { kernel: ppoKernel() });
    const rm = await RewardModel.load(join(dir, 'rm'), { kernel: ppoKernel() });
    expect(Array.from(value.model.weights.get('score.weight')!.data as Float32Array)).toEqual(Array.from(rm.model.weights.get('score.weight')!.data as Float32Array));
    expect(existsSync(join(dir, 'out/final/model.safetensors'))).toBe(true);
  });

  it('with stop_token none samples response_length tokens whatever EOS', async () => {
    const { dir, model, prompts } = await setup();
    const train = { max_steps: 1, per_device_batch_size: 4, rollout_batch_size: 4, response_length: 5, stop_token: 'none' };
    await (await createTrainer(runConfig('ppo', model, prompts, join(dir, 'out'), train, { rewards: [LENGTH] }), ppoKernel())).train();
    expect(readMetrics(join(dir, 'out/metrics.jsonl'))[0]!['completions/mean_length']).toBe(5);
  });

  it('resumes policy, value model and both optimizer states from a checkpoint exactly', async () => {
    const { dir, model, replay } = await setup();
    const train = { per_device_batch_size: 4, rollout_batch_size: 4, num_ppo_epochs: 1, rollouts_from: replay, learning_rate: 1e-3, shuffle: false, lr_scheduler: 'constant' };
    const run = (out: string, extra: Record<string, unknown>) => createTrainer(runConfig('ppo', model, replay, join(dir, out), { ...train, ...extra }), ppoKernel()).then((t) => t.train());
    await run('whole', { max_steps: 2, save_interval: 1 });
    const checkpoint = join(dir, 'whole/checkpoints/step-1');
    const moments = [...(await readSafetensors(join(checkpoint, 'optimizer.safetensors'))).tensors.keys()];
    expect(moments.some((k) => k.startsWith('value.') && k.endsWith('::exp_avg_sq'))).toBe(true);
    await run('resumed', { max_steps: 2, resume_from_checkpoint: checkpoint });

    const weights = async (file: string) => [...(await readSafetensors(file)).tensors].map(([n, t]) => [n, Array.from(t.data as Float32Array)]);
    expect(await weights(join(dir, 'resumed/final/model.safetensors'))).toEqual(await weights(join(dir, 'whole/final/model.safetensors')));
    expect(await weights(valueWeightsFile(join(dir, 'resumed/final')))).toEqual(await weights(valueWeightsFile(join(dir, 'whole/final'))));
  });
});
