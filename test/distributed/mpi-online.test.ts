import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hedgingAnswers, sumRows } from '../training/grpo-learning-helpers.js';
import { writeTinyScoreModel } from '../training/ppo-helpers.js';
import { runConfig, writeJsonl, writeTinyModel } from '../training/helpers.js';
import { expectSameMetrics, mpiMissing, readMetrics, runAligntune, weightDifference, writeYaml, type MetricRows } from './mpi-helpers.js';

/**
 * The online algorithms over Open MPI through the real CLI, rollouts replayed so that both runs train on the same
 * completions: 2 ranks with per_device_batch_size b give the weights and metrics.jsonl of 1 process with 2b. Groups
 * of 4 completions straddle the ranks (b = 2), unequal completion lengths give the ranks different token counts, so
 * group statistics, whitening and every loss normaliser must be the global batch's. An online 2-rank run (sampling,
 * reward functions on each rank, rewards gathered) learns. Skipped, with the reason printed, without Open MPI.
 */
const missing = mpiMissing();
if (missing) console.warn(`skipping the Open MPI online tests: ${missing}`);

const COMPLETIONS = [' on the mat', ' down', ' quietly by the door', ' one two three four', ' seven', ' a b c', ' x', ' blue sky today'];
/** Two prompts × 4 completions per group: GRPO's and RLOO's replayed groups (G = k = 4), PPO's rollouts. */
const ROLLOUTS = ['the cat sat', 'count'].flatMap((prompt, p) => COMPLETIONS.slice(p * 4, p * 4 + 4).map((completion, i) => ({ prompt, completion, reward: ((p * 4 + i) * 0.7) % 2.1, score: ((p * 4 + i) * 1.3) % 2.5 - 1 })));
const EXACT = { optimizer: 'sgd', sgd_momentum: 0.9, learning_rate: 0.1, max_grad_norm: 1, max_steps: 3, shuffle: true };
const DDP = { backend: 'ddp', gpus_per_node: 2 };
const ZERO2 = { backend: 'deepspeed', gpus_per_node: 2, deepspeed_config: { zero_optimization: { stage: 2 } } };
const TOLERANCE = 1e-5;
/** PPO's eps is completions per second: a timing. */
const TIMINGS = ['eps'];

let dir: string;
let model: string;
let rollouts: string;
let valueModel: string;

async function trained(name: string, algo: string, trainOptions: Record<string, unknown>, extra: Record<string, unknown> = {}): Promise<string> {
  const out = join(dir, name);
  const config = writeYaml(join(dir, `${name}.yaml`), runConfig(algo, model, rollouts, out, trainOptions, extra));
  const run = await runAligntune(['train', '--config', config]);
  expect(run.code, run.stderr).toBe(0);
  return out;
}

function withoutTimings(rows: MetricRows): MetricRows {
  return rows.map((row) => Object.fromEntries(Object.entries(row).filter(([key]) => !TIMINGS.includes(key))));
}

/** 1 process × 2b against 2 ranks × b under each backend: weights ≤ 1e-5 relative per tensor, the same metrics.jsonl. */
async function expectRanksMatchOneProcess(name: string, algo: string, options: Record<string, unknown>, b: number, backends: Array<Record<string, unknown>>, extra: Record<string, unknown> = {}, models = ['final']): Promise<void> {
  const one = await trained(`${name}-one`, algo, { ...EXACT, ...options, per_device_batch_size: 2 * b }, extra);
  for (const distributed of backends) {
    const ranks = await trained(`${name}-${String(distributed.backend)}`, algo, { ...EXACT, ...options, per_device_batch_size: b }, { ...extra, distributed });
    for (const model of models) expect((await weightDifference(join(one, model), join(ranks, model))).relative, model).toBeLessThan(TOLERANCE);
    expect(expectSameMetrics(withoutTimings(readMetrics(one)), withoutTimings(readMetrics(ranks)), TOLERANCE)).toEqual([]);
  }
}

describe.skipIf(missing !== undefined)('online algorithms on Open MPI (2 ranks, replayed rollouts)', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'aligntune-mpi-online-'));
    model = join(dir, 'model');
    await writeTinyModel(model, 'gpt2', { seed: 3 });
    valueModel = join(dir, 'value');
    await writeTinyScoreModel(valueModel, 'gpt2', 9);
    rollouts = writeJsonl(join(dir, 'rollouts.jsonl'), ROLLOUTS);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  // each algorithm under one distributed backend: the gradient reduction of ddp and of ZeRO stage 2 is mpi-training's
  // (2 ranks equal 1 process under both); what is the algorithm's own, its global group statistics and normalisers,
  // is the same under either. PPO takes ZeRO stage 2, which shards its value model's optimizer state too.
  it('grpo (KL to the reference, two iterations per generation): 2 ranks × 2 equal 1 process × 4 under ddp', async () => {
    await expectRanksMatchOneProcess('grpo', 'grpo', { rollouts_from: rollouts, num_generations: 4, beta: 0.1, num_iterations: 2 }, 2, [DDP]);
  });

  it('ppo (value model trained too, whitened advantages): 2 ranks × 2 equal 1 process × 4 (policy and value model) under deepspeed stage 2', async () => {
    await expectRanksMatchOneProcess('ppo', 'ppo', { rollouts_from: rollouts, num_ppo_epochs: 2 }, 2, [ZERO2], { model: { name_or_path: model, value_path: valueModel } }, ['final', 'final/value_model']);
  });

  it.each([
    ['dapo', { gradient_accumulation_steps: 2 }],
    ['drgrpo', {}],
    ['gspo', { loss_type: 'bnpo' }],
  ])('%s %j: 2 ranks × 2 equal 1 process × 4 under ddp', async (algo, options) => {
    await expectRanksMatchOneProcess(algo, algo, { rollouts_from: rollouts, num_generations: 4, ...options }, 2, [DDP]);
  });

  it('rloo: 2 ranks × 2 give the weights of 1 process × 4 under ddp', async () => {
    const options = { ...EXACT, rollouts_from: rollouts, rloo_k: 4 };
    const one = await trained('rloo-one', 'rloo', { ...options, per_device_batch_size: 4 });
    const ranks = await trained('rloo-ddp', 'rloo', { ...options, per_device_batch_size: 2 }, { distributed: DDP });
    expect((await weightDifference(join(one, 'final'), join(ranks, 'final'))).relative).toBeLessThan(TOLERANCE);
    // rloo's loss is a mean over rows and so are its clip metrics: those equal one process's too
    const keys = ['loss', 'policy/clipfrac_avg', 'objective/scores', 'objective/kl'];
    const rows = (out: string) => readMetrics(out).map((row) => Object.fromEntries(Object.entries(row).filter(([key]) => keys.includes(key))));
    expect(expectSameMetrics(rows(one), rows(ranks), TOLERANCE)).toEqual([]);
  });

  it('learns online with 2 ranks: each samples and scores its prompts, the rewards gathered before the groups are normalised', async () => {
    // the GRPO learning test's task (test/training/grpo-learning.test.ts): a tiny GPT-2 SFT'd to hedge on single-digit sums
    const rows = sumRows().filter((_, i) => i % 4 !== 0);
    const base = join(dir, 'sums-base');
    await writeTinyModel(base, 'gpt2', { weights: 'init', seed: 3 });
    const sftData = writeJsonl(join(dir, 'sums-sft.jsonl'), hedgingAnswers(sumRows(), 2));
    const sft = writeYaml(join(dir, 'sums-sft.yaml'), runConfig('sft', base, sftData, join(dir, 'sums-sft'), { per_device_batch_size: 165, max_steps: 300, learning_rate: 1e-2, lr_scheduler: 'constant', seed: 3 }));
    expect((await runAligntune(['train', '--config', sft])).code).toBe(0);
    const prompts = writeJsonl(join(dir, 'sums.jsonl'), rows.map((r) => ({ prompt: r.prompt, answer: r.answer })));
    const out = join(dir, 'sums-grpo');
    const train = { num_generations: 8, max_completion_length: 4, max_steps: 12, learning_rate: 3e-3, warmup_steps: 5, lr_scheduler: 'constant', per_device_batch_size: rows.length * 4, seed: 3 };
    const config = writeYaml(join(dir, 'sums-grpo.yaml'), runConfig('grpo', join(dir, 'sums-sft/final'), prompts, out, train, { rewards: [{ type: 'math' }], distributed: DDP }));
    const run = await runAligntune(['train', '--config', config]);
    expect(run.code, run.stderr).toBe(0);
    const rewards = readMetrics(out).map((row) => row.reward!);
    expect(rewards.at(-1)!).toBeGreaterThan(rewards[0]! + 0.3);
  }, 180_000); // ≈ 45 s alone on the shared 2-core machine (most of it the SFT start), over 60 s under a full suite's load
});
