import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sumRows } from './grpo-learning-helpers.js';
import { grpoKernel } from './grpo-helpers.js';
import { ppoKernel } from './ppo-helpers.js';
import { createTrainer, readMetrics, runConfig, tempDir, writeJsonl, writeTinyModel } from './helpers.js';

/**
 * GRPO and PPO have no loss on held-out rows (no rollouts there), so their eval rows go to the evaluator: every
 * eval_interval the policy answers eval_samples held-out prompts and the configured rewards score them.
 */
describe('evaluation of online algorithms', () => {
  it.each([
    ['grpo', { per_device_batch_size: 4, num_generations: 2, max_completion_length: 4 }],
    ['ppo', { per_device_batch_size: 4, rollout_batch_size: 4, response_length: 4 }],
  ] as const)('%s logs the evaluator\'s task metrics at eval_interval', async (algo, options) => {
    const dir = tempDir();
    await writeTinyModel(join(dir, 'model'), 'gpt2', { weights: 'init', seed: 1 });
    const data = writeJsonl(join(dir, 'prompts.jsonl'), sumRows().map((r) => ({ prompt: r.prompt, answer: r.answer })));
    const train = { ...options, max_steps: 2, eval_interval: 1, eval_fraction: 0.2, eval_samples: 6, learning_rate: 1e-3 };
    const kernel = algo === 'grpo' ? grpoKernel() : ppoKernel();
    const extra = { rewards: [{ type: 'math' }], datasets: [{ name: data, task_type: 'math' }] };
    await (await createTrainer(runConfig(algo, join(dir, 'model'), data, join(dir, 'out'), train, extra), kernel)).train();
    const evals = readMetrics(join(dir, 'out/metrics.jsonl')).filter((row) => Object.keys(row).some((k) => k.startsWith('eval/')));
    expect(evals.map((row) => row.step)).toEqual([1, 2]);
    // 55 sums, 11 held out: an epoch is 44 prompts × G 2 / 4 completions per micro-batch (GRPO) or 44 / 4 (PPO)
    expect(evals[0]!.epoch).toBeCloseTo(algo === 'grpo' ? 1 / 22 : 1 / 11, 9);
    for (const row of evals) {
      // the math task's metrics on the held-out prompts, from the policy's greedy answers
      expect(row['eval/math/accuracy']).toBeGreaterThanOrEqual(0);
      expect(row['eval/math/accuracy']).toBeLessThanOrEqual(1);
      expect(row['eval/math/response_length']).toBeGreaterThan(0);
      // KL against the algorithm's own reference: PPO has one; GRPO with beta 0 (the default) loads none
      if (algo === 'ppo') expect(Number.isFinite(row['eval/math/kl'])).toBe(true);
      else expect(row).not.toHaveProperty(['eval/math/kl']);
      expect(row).not.toHaveProperty(['eval/loss']); // no loss graph on prompts
    }
  });

  it('on a backend that keeps the weights resident, the evaluator answers with the trained weights, as on onnxruntime-node', async () => {
    const dir = tempDir();
    await writeTinyModel(join(dir, 'model'), 'gpt2', { weights: 'init', seed: 1 });
    const data = writeJsonl(join(dir, 'prompts.jsonl'), sumRows().map((r) => ({ prompt: r.prompt, answer: r.answer })));
    const train = { per_device_batch_size: 4, rollout_batch_size: 4, response_length: 4, max_steps: 2, eval_interval: 2, eval_fraction: 0.2, eval_samples: 6, learning_rate: 1e-2 };
    const evalRow = async (backend: string) => {
      const extra = { rewards: [{ type: 'math' }], datasets: [{ name: data, task_type: 'math' }], compute: { backend } };
      await (await createTrainer(runConfig('ppo', join(dir, 'model'), data, join(dir, backend), train, extra), ppoKernel())).train();
      return readMetrics(join(dir, backend, 'metrics.jsonl')).find((row) => 'eval/math/kl' in row)!;
    };
    const resident = await evalRow('ort-capi');
    // KL of the policy's answers against the starting weights: exactly 0 if the evaluator still had those
    expect(resident['eval/math/kl']).not.toBe(0);
    expect(resident['eval/math/kl']).toBeCloseTo((await evalRow('cpu'))['eval/math/kl']!, 5);
  });
});

describe('resuming online algorithms', () => {
  /** The prompts of the completions table logged at `step`. */
  const promptsAt = (out: string, step: number) =>
    readFileSync(join(out, `tables/completions/step-${step}.jsonl`), 'utf8').trim().split('\n').map((line) => (JSON.parse(line) as { prompt: string }).prompt);

  it.each([
    ['grpo', { per_device_batch_size: 4, num_generations: 2, max_completion_length: 3 }],
    // one PPO epoch: a fresh rollout batch every step (a batch in use at the checkpoint is not saved: documented)
    ['ppo', { per_device_batch_size: 4, rollout_batch_size: 4, response_length: 3, num_ppo_epochs: 1 }],
  ] as const)('%s continues with the prompts an uninterrupted run samples next (the cursor is in the checkpoint)', async (algo, options) => {
    const dir = tempDir();
    await writeTinyModel(join(dir, 'model'), 'gpt2', { weights: 'init', seed: 1 });
    const data = writeJsonl(join(dir, 'prompts.jsonl'), sumRows().map((r) => ({ prompt: r.prompt, answer: r.answer })));
    const train = { ...options, max_steps: 4, log_completions_steps: 1, learning_rate: 1e-3 };
    const kernel = () => (algo === 'grpo' ? grpoKernel() : ppoKernel());
    const config = (out: string, extra: Record<string, unknown> = {}) => runConfig(algo, join(dir, 'model'), data, join(dir, out), { ...train, ...extra }, { rewards: [{ type: 'math' }] });
    await (await createTrainer(config('whole'), kernel())).train();
    const interrupted = await createTrainer(config('parts'), kernel());
    interrupted.hooks.onStep = (step) => {
      if (step === 2) interrupted.signals.requestStop('SIGINT');
    };
    expect((await interrupted.train()).steps).toBe(2);
    await (await createTrainer(config('parts', { resume_from_checkpoint: 'latest' }), kernel())).train();
    for (const step of [3, 4]) expect(promptsAt(join(dir, 'parts'), step)).toEqual(promptsAt(join(dir, 'whole'), step));
    expect(promptsAt(join(dir, 'parts'), 3)).not.toEqual(promptsAt(join(dir, 'whole'), 1)); // not restarted from the first prompts
  });
});
