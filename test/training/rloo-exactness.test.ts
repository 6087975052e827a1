import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSafetensors } from '@aligntune/core';
import { rlooKernel } from './rloo-helpers.js';
import { completionTokenLogps, refRlooAdvantages, refRlooLoss, type RefRlooOptions, type RefSample } from './rloo-reference.js';
import { casesForBackend, createTrainer, readMetrics, runConfig, tempDir, tinyTokenizer, updateError, writeJsonl, writeTinyModel, type TinyArch } from './helpers.js';
import { close, float64, microBatchesOf } from './replay-steps.js';

/**
 * Rollout replay, SGD, no gradient clipping, constant lr: the saved policy after a step must equal w − lr·∇L, ∇L by
 * float64 central differences of TRL's RLOO loss written from its formulas (rloo-reference.ts, in TRL's batch
 * layout) on the float64 reference forward, with KL, returns and leave-one-out advantages computed there from the
 * starting weights and a separate reference model.
 */
const LR = 0.5;
const ROWS = [
  { prompt: 'the cat sat', completion: ' on the mat', reward: 1 },
  { prompt: 'the cat sat', completion: ' down', reward: -0.5 },
  { prompt: 'the cat sat', completion: ' quietly by the door', reward: 0.25 },
  { prompt: 'count', completion: ' one two', reward: 2 },
  { prompt: 'count', completion: ' three four five six', reward: 0 },
  { prompt: 'count', completion: ' seven', reward: 1.5 },
];

interface Case {
  readonly name: string;
  readonly arch: TinyArch;
  readonly train: Record<string, unknown>;
  readonly ref: RefRlooOptions;
  /** Optimizer steps run; the last one is checked (from the previous checkpoint's weights). */
  readonly steps: 1 | 2;
  readonly microBatchSize: number;
  readonly accumulate: number;
}

const TRL: RefRlooOptions = { k: 3, klCoef: 0.05, tokenLevelKl: false, normalizeAdvantage: false, cliprange: 0.2, temperature: 0.7 };

const CASES: Case[] = [
  {
    name: 'gpt2, k 3, sequence-level KL, one step over the whole batch',
    arch: 'gpt2',
    train: { rloo_k: 3, kl_coef: 0.3, num_ppo_epochs: 1 },
    ref: { ...TRL, klCoef: 0.3 },
    steps: 1,
    microBatchSize: 6,
    accumulate: 1,
  },
  {
    name: 'llama, k 3, token-level KL, normalize_advantage, second PPO epoch (ratios ≠ 1, clipping), two accumulated micro-batches',
    arch: 'llama',
    train: { rloo_k: 3, kl_coef: 0.2, token_level_kl: true, normalize_advantage: true, num_ppo_epochs: 2, gradient_accumulation_steps: 2, cliprange: 0.02, temperature: 1 },
    ref: { ...TRL, klCoef: 0.2, tokenLevelKl: true, normalizeAdvantage: true, cliprange: 0.02, temperature: 1 },
    steps: 2,
    microBatchSize: 3,
    accumulate: 2,
  },
  {
    name: 'gpt2, k 2, second of three mini-batches',
    arch: 'gpt2',
    train: { rloo_k: 2, num_mini_batches: 3, num_ppo_epochs: 1 },
    ref: { ...TRL, k: 2 },
    steps: 2,
    microBatchSize: 2,
    accumulate: 1,
  },
];

function samples(): RefSample[] {
  const tok = tinyTokenizer();
  return ROWS.map((r) => ({ prompt: tok.encode(r.prompt), completion: [...tok.encode(r.completion, { addSpecialTokens: false }), tok.eosTokenId!] }));
}

const weightsAt = async (dir: string) => (await readSafetensors(join(dir, 'model.safetensors'))).tensors;



describe('RLOO: SGD updates of the policy equal TRL\'s formulas (replay)', () => {
  // the onnxruntime-node twin: the first case
  it.each(casesForBackend(CASES, (c) => c === CASES[0]))('$name', async (c) => {
    const dir = tempDir();
    const policy = await writeTinyModel(join(dir, 'policy'), c.arch, { seed: 7 });
    const reference = await writeTinyModel(join(dir, 'ref'), c.arch, { seed: 8 });
    const file = writeJsonl(join(dir, 'rollouts.jsonl'), ROWS);
    const train = {
      optimizer: 'sgd', learning_rate: LR, lr_scheduler: 'constant', shuffle: false, max_grad_norm: 0, max_steps: c.steps, save_interval: 1,
      per_device_batch_size: c.microBatchSize, rollout_batch_size: ROWS.length, rollouts_from: file, temperature: 0.7, ...c.train,
    };
    const model = { name_or_path: join(dir, 'policy'), ref_path: join(dir, 'ref') };
    const trainer = await createTrainer(runConfig('rloo', join(dir, 'policy'), file, join(dir, 'out'), train, { model }), rlooKernel());
    expect((await trainer.train()).steps).toBe(c.steps);

    // the rollout phase, from the starting weights
    const s = samples();
    const old = completionTokenLogps(policy.config, float64(policy.tensors), s, c.ref.temperature);
    const ref = completionTokenLogps(reference.config, float64(reference.tensors), s, c.ref.temperature);
    const { advantages, kl } = refRlooAdvantages(ROWS.map((r) => r.reward), old, ref, c.ref);
    // one optimizer step's loss: the mean over its accumulated micro-batches
    const steps = microBatchesOf(c.steps - 1, ROWS.length, c);
    const loss = (w: Map<string, Float64Array>) => mean(steps.map((rows) => refRlooLoss(policy.config, w, s, rows, advantages, old, c.ref)));

    const before = c.steps === 1 ? policy.tensors : await weightsAt(join(dir, 'out/checkpoints/step-1'));
    const { relError, checked } = updateError(before, await weightsAt(join(dir, 'out/final')), loss, LR);
    expect(checked).toBeGreaterThan(20);
    expect(relError).toBeLessThan(2e-3);

    const metrics = readMetrics(join(dir, 'out/metrics.jsonl'));
    expect(close(metrics[c.steps - 1]!['loss/policy_avg']!, loss(float64(before)))).toBe(true);
    expect(close(metrics[0]!['objective/kl']!, mean(kl.map(sum)))).toBe(true);
    expect(close(metrics[0]!['objective/scores']!, mean(ROWS.map((r) => r.reward)))).toBe(true);
    if (c.name.includes('clipping')) expect(metrics[c.steps - 1]!['policy/clipfrac_avg']).toBeGreaterThan(0.1);
  });
});

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
const mean = (xs: readonly number[]) => sum(xs) / xs.length;
