import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSafetensors, type StoredTensor, type Tokenizer } from '@aligntune/core';
import { grpoKernel, updateError } from './grpo-helpers.js';
import { completionTokenLogps, refAdvantages, refGrpoLoss, type RefGrpoOptions, type RefSample } from './grpo-reference.js';
import { casesForBackend, createTrainer, runConfig, tempDir, tinyTokenizer, writeJsonl, writeTinyModel, type TinyArch } from './helpers.js';
import { GROUP_ROWS } from './exactness-rows.js';

/**
 * Rollout replay, SGD, no clipping: the saved weights after one step (and after the second step of
 * num_iterations: 2, against the generation-time log-probs, with β > 0) must equal w − lr·∇L, ∇L by float64
 * central differences of the loss written from the formulas on the float64 reference forward.
 */
const LR = 0.5;
const G = 3;
const ROWS = GROUP_ROWS;
interface Case {
  readonly algo: string;
  readonly train: Record<string, unknown>;
  readonly ref: Omit<RefGrpoOptions, 'maxCompletionLength'>;
  readonly scale: 'group' | 'none';
}

const base = { epsilon: 0.2, epsilonHigh: 0.2, beta: 0, temperature: 1, level: 'token' as const };
const ONE_STEP: Record<TinyArch, Case[]> = {
  gpt2: [
    { algo: 'grpo', train: {}, ref: { ...base, lossType: 'grpo' }, scale: 'group' },
    { algo: 'grpo', train: { loss_type: 'bnpo', temperature: 0.7 }, ref: { ...base, lossType: 'bnpo', temperature: 0.7 }, scale: 'group' },
    { algo: 'drgrpo', train: {}, ref: { ...base, lossType: 'dr_grpo' }, scale: 'none' },
  ],
  llama: [
    { algo: 'dapo', train: {}, ref: { ...base, lossType: 'dapo', epsilonHigh: 0.28 }, scale: 'group' },
    { algo: 'gspo', train: {}, ref: { ...base, lossType: 'grpo', level: 'sequence' }, scale: 'group' },
    // two micro-batches of one group each: dapo's token mean spans the accumulation steps
    { algo: 'dapo', train: { gradient_accumulation_steps: 2, per_device_batch_size: G }, ref: { ...base, lossType: 'dapo', epsilonHigh: 0.28 }, scale: 'group' },
  ],
  // the router aux loss joins the online loss as it joins SFT's and DPO's
  qwen2_moe: [{ algo: 'grpo', train: {}, ref: { ...base, lossType: 'grpo' }, scale: 'group' }],
};
const TWO_STEPS: Record<TinyArch, Case[]> = {
  gpt2: [
    { algo: 'grpo', train: { beta: 0.3, delta: 1.3 }, ref: { ...base, lossType: 'grpo', beta: 0.3, delta: 1.3 }, scale: 'group' },
    { algo: 'gspo', train: { beta: 0.2, loss_type: 'bnpo' }, ref: { ...base, lossType: 'bnpo', beta: 0.2, level: 'sequence' }, scale: 'group' },
  ],
  llama: [
    { algo: 'dapo', train: { beta: 0.1 }, ref: { ...base, lossType: 'dapo', beta: 0.1, epsilonHigh: 0.28 }, scale: 'group' },
    { algo: 'drgrpo', train: { beta: 0.2, importance_sampling_level: 'sequence' }, ref: { ...base, lossType: 'dr_grpo', beta: 0.2, level: 'sequence' }, scale: 'none' },
  ],
  qwen2_moe: [],
};
const MAX_COMPLETION = 12;

function samples(tok: Tokenizer): RefSample[] {
  return ROWS.map((r) => ({ prompt: tok.encode(r.prompt), completion: [...tok.encode(r.completion, { addSpecialTokens: false }), tok.eosTokenId!] }));
}

async function run(arch: TinyArch, c: Case, steps: number): Promise<{ dir: string; before: Map<string, StoredTensor> }> {
  const dir = tempDir();
  const model = await writeTinyModel(join(dir, 'model'), arch, { seed: 7 });
  const file = writeJsonl(join(dir, 'rollouts.jsonl'), ROWS);
  const train = {
    optimizer: 'sgd', learning_rate: LR, lr_scheduler: 'constant', shuffle: false, max_grad_norm: 0, max_steps: steps,
    per_device_batch_size: ROWS.length, num_generations: G, max_completion_length: MAX_COMPLETION, rollouts_from: file,
    ...(steps === 2 ? { num_iterations: 2, save_interval: 1 } : {}),
    ...c.train,
  };
  const trainer = await createTrainer(runConfig(c.algo, join(dir, 'model'), file, join(dir, 'out'), train), grpoKernel());
  expect((await trainer.train()).steps).toBe(steps);
  return { dir, before: model.tensors };
}

const weightsOf = async (file: string) => (await readSafetensors(file)).tensors;

// the onnxruntime-node twin: gpt2's grpo, drgrpo and gspo cases, and dapo (llama's first case)
describe.each<[TinyArch]>(casesForBackend([['gpt2'], ['llama'], ['qwen2_moe']], ([arch]) => arch !== 'qwen2_moe'))('GRPO family: SGD updates equal the formulas (%s, replay)', (arch) => {
  let tok: Tokenizer | undefined;
  const sampleSet = () => samples((tok ??= tinyTokenizer()));

  const onTwin = (c: Case) => arch === 'gpt2' || c === ONE_STEP.llama[0];

  it.each(casesForBackend(ONE_STEP[arch], onTwin))('one step: $algo $train', async (c) => {
    const { dir, before } = await run(arch, c, 1);
    const { config } = await writeTinyModel(join(dir, 'config-only'), arch, { seed: 7 });
    const s = sampleSet();
    const A = refAdvantages(ROWS.map((r) => r.reward), G, c.scale);
    const start = new Map([...before].map(([n, t]) => [n, Float64Array.from(t.data as Float32Array)]));
    const fixed = completionTokenLogps(config, start, s, c.ref.temperature); // old = ref = the starting policy
    const o = { ...c.ref, maxCompletionLength: MAX_COMPLETION };
    const { relError, checked } = updateError(before, await weightsOf(join(dir, 'out/final/model.safetensors')), (w) => refGrpoLoss(config, w, s, A, fixed, fixed, o), LR);
    expect(checked).toBeGreaterThan(20);
    expect(relError).toBeLessThan(1e-3);
  });

  it.each(casesForBackend(TWO_STEPS[arch], onTwin))('second step of num_iterations 2: $algo $train', async (c) => {
    const { dir, before } = await run(arch, c, 2);
    const { config } = await writeTinyModel(join(dir, 'config-only'), arch, { seed: 7 });
    const s = sampleSet();
    const A = refAdvantages(ROWS.map((r) => r.reward), G, c.scale);
    const start = new Map([...before].map(([n, t]) => [n, Float64Array.from(t.data as Float32Array)]));
    const fixed = completionTokenLogps(config, start, s, c.ref.temperature); // generation-time policy = reference
    const o = { ...c.ref, maxCompletionLength: MAX_COMPLETION };
    const step1 = await weightsOf(join(dir, 'out/checkpoints/step-1/model.safetensors'));
    const step2 = await weightsOf(join(dir, 'out/final/model.safetensors'));
    const { relError } = updateError(step1, step2, (w) => refGrpoLoss(config, w, s, A, fixed, fixed, o), LR);
    expect(relError).toBeLessThan(1e-3);
  });
});
