import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSafetensors } from '@aligntune/core';
import { ppoKernel, updateError, valueWeightsFile, writeTinyScoreModel } from './ppo-helpers.js';
import type { RefWeights } from '../models/reference/reference-forward.js';
import { completionTokenLogps, completionTokenValues, refPolicyLoss, refRolloutStats, refValueLoss, type RefPpoOptions, type RefRolloutStats, type RefSample } from './ppo-reference.js';
import { casesForBackend, createTrainer, readMetrics, runConfig, tempDir, tinyTokenizer, writeJsonl, writeTinyModel, type TinyArch } from './helpers.js';
import { close, float64, microBatchesOf } from './replay-steps.js';

/**
 * Rollout replay, SGD, no gradient clipping, constant lr: the saved policy and value weights after a step must equal
 * w − lr·∇L, ∇L by float64 central differences of the PPO loss written from the formulas (ppo-reference.ts) on the
 * float64 reference forward, with KL, rewards, GAE and whitening computed there from the starting weights. The
 * logged losses and rollout objectives must match the reference's values.
 */
const LR = 0.5;
const ROWS = [
  { prompt: 'the cat sat', completion: ' on the mat', score: 1 },
  { prompt: 'the cat sat', completion: ' down', score: -0.5 },
  { prompt: 'count', completion: ' one two', score: 0.25 },
  { prompt: 'count', completion: ' three four five six', score: 2 },
  { prompt: 'hello', completion: ' quietly by the door', score: -1 },
  { prompt: 'hello', completion: ' seven', score: 0 },
];

const TRL: RefPpoOptions = { temperature: 0.7, klCoef: 0.05, klEstimator: 'k1', gamma: 1, lam: 0.95, whitenRewards: false, cliprange: 0.2, cliprangeValue: 0.2, vfCoef: 0.1 };

interface Case {
  readonly name: string;
  readonly arch: TinyArch;
  readonly train: Record<string, unknown>;
  readonly ref: RefPpoOptions;
  /** Optimizer steps run; the last one is checked (from the previous checkpoint's weights). */
  readonly steps: 1 | 2;
  readonly microBatchSize: number;
  readonly accumulate: number;
}

const CASES: Case[] = [
  {
    name: 'llama, k3, γ 0.9, λ 0.8, whiten_rewards, temperature 1',
    arch: 'llama',
    train: { kl_estimator: 'k3', kl_coef: 0.4, gamma: 0.9, lam: 0.8, whiten_rewards: true, temperature: 1, vf_coef: 0.5 },
    ref: { ...TRL, klEstimator: 'k3', klCoef: 0.4, gamma: 0.9, lam: 0.8, whitenRewards: true, temperature: 1, vfCoef: 0.5 },
    steps: 1,
    microBatchSize: 6,
    accumulate: 1,
  },
  {
    name: 'gpt2, k1, second of two mini-batches (advantages whitened over the whole rollout batch)',
    arch: 'gpt2',
    train: { num_mini_batches: 2, num_ppo_epochs: 1, kl_coef: 0.2 },
    ref: { ...TRL, klCoef: 0.2 },
    steps: 2,
    microBatchSize: 3,
    accumulate: 1,
  },
  {
    name: 'llama, second PPO epoch (ratios ≠ 1, clipping), two accumulated micro-batches, k3',
    arch: 'llama',
    train: { num_ppo_epochs: 2, gradient_accumulation_steps: 2, kl_estimator: 'k3', kl_coef: 0.2, cliprange_value: 0.05 },
    ref: { ...TRL, klEstimator: 'k3', klCoef: 0.2, cliprangeValue: 0.05 },
    steps: 2,
    microBatchSize: 3,
    accumulate: 2,
  },
];

function samples(): RefSample[] {
  const tok = tinyTokenizer();
  return ROWS.map((r) => ({ prompt: tok.encode(r.prompt), completion: [...tok.encode(r.completion, { addSpecialTokens: false }), tok.eosTokenId!] }));
}

/** A checkpoint's (or final/'s) policy and value weights. */
const weightsAt = async (dir: string) => ({ policy: (await readSafetensors(join(dir, 'model.safetensors'))).tensors, value: (await readSafetensors(valueWeightsFile(dir))).tensors });



describe('PPO: SGD updates of policy and value model equal the formulas (replay)', () => {
  // the onnxruntime-node twin: the gpt2 case (two steps, two mini-batches)
  it.each(casesForBackend(CASES, (c) => c.arch === 'gpt2'))('$name', async (c) => {
    const dir = tempDir();
    const policy = await writeTinyModel(join(dir, 'policy'), c.arch, { seed: 7 });
    const reference = await writeTinyModel(join(dir, 'ref'), c.arch, { seed: 8 });
    const value = await writeTinyScoreModel(join(dir, 'value'), c.arch, 9);
    const file = writeJsonl(join(dir, 'rollouts.jsonl'), ROWS);
    const train = {
      optimizer: 'sgd', learning_rate: LR, lr_scheduler: 'constant', shuffle: false, max_grad_norm: 0, max_steps: c.steps, save_interval: 1,
      per_device_batch_size: c.microBatchSize, rollout_batch_size: ROWS.length, rollouts_from: file, temperature: 0.7, ...c.train,
    };
    const model = { name_or_path: join(dir, 'policy'), ref_path: join(dir, 'ref'), value_path: join(dir, 'value') };
    const trainer = await createTrainer(runConfig('ppo', join(dir, 'policy'), file, join(dir, 'out'), train, { model }), ppoKernel());
    expect((await trainer.train()).steps).toBe(c.steps);

    // the rollout phase, from the starting weights
    const s = samples();
    const start = { policy: float64(policy.tensors), value: float64(value.tensors) };
    const stats: RefRolloutStats = refRolloutStats(
      completionTokenLogps(policy.config, start.policy, s, c.ref.temperature),
      completionTokenLogps(reference.config, float64(reference.tensors), s, c.ref.temperature),
      completionTokenValues(value.config, start.value, s),
      ROWS.map((r) => r.score),
      c.ref,
    );
    // one optimizer step's loss: the mean over its accumulated micro-batches
    const steps = microBatchesOf(c.steps - 1, ROWS.length, c);
    const pg = (w: RefWeights) => mean(steps.map((rows) => refPolicyLoss(policy.config, w, s, rows, stats, c.ref)));
    const vf = (w: RefWeights) => mean(steps.map((rows) => refValueLoss(value.config, w, s, rows, stats, c.ref)));

    // loss = pg(policy) + vf_coef·vf(value): each model's gradient is that of its own term
    const before = c.steps === 1 ? { policy: policy.tensors, value: value.tensors } : await weightsAt(join(dir, 'out/checkpoints/step-1'));
    const after = await weightsAt(join(dir, 'out/final'));
    const fixed = { policy: float64(before.policy), value: float64(before.value) };
    const policyCheck = updateError(before.policy, after.policy, pg, LR);
    const valueCheck = updateError(before.value, after.value, (w) => c.ref.vfCoef * vf(w), LR);
    for (const { relError, checked } of [policyCheck, valueCheck]) {
      expect(checked).toBeGreaterThan(20);
      expect(relError).toBeLessThan(1e-3);
    }

    const metrics = readMetrics(join(dir, 'out/metrics.jsonl'));
    const logged = metrics[c.steps - 1]!;
    expect(close(logged['loss/policy_avg']!, pg(fixed.policy))).toBe(true);
    expect(close(logged['loss/value_avg']!, vf(fixed.value))).toBe(true);
    expect(close(metrics[0]!['objective/kl']!, mean(stats.kl.map(sum)))).toBe(true);
    expect(close(metrics[0]!['objective/scores']!, mean(ROWS.map((r) => r.score)))).toBe(true);
    if (c.name.includes('clipping')) expect(logged['policy/clipfrac_avg']).toBeGreaterThan(0.1);
  });
});

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
const mean = (xs: readonly number[]) => sum(xs) / xs.length;
