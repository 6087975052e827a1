import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { declareTokenInputs, Graph, hostValues, readSafetensors, RewardModel, saveModelDir, type StoredTensor } from '@aligntune/core';
import { maxAbsDiff, runGraph, tokenFeeds } from '../models/graph-helpers.js';
import { createTrainer, readMetrics, runConfig, tempDir, updateError, writeJsonl, writeTinyModel, type TinyArch } from './helpers.js';
import type { RefPair } from './reference-losses.js';
import { causalLmStart, refAccuracy, refPairs, refRewardLoss, refRewards, rewardKernel, sequenceClassificationStart, type StartModel } from './reward-helpers.js';
import { preferencePairs } from './synthetic.js';

const LR = 1;
const SGD_ONE_STEP = { optimizer: 'sgd', learning_rate: LR, shuffle: false, max_grad_norm: 0, lr_scheduler: 'constant', max_steps: 1 };
const PREF_ROWS = [
  { prompt: 'pick a colour', chosen: 'blue sky', rejected: 'no' },
  { prompt: 'say hi', chosen: 'hi there friend', rejected: 'bye' },
  { prompt: 'count', chosen: 'one two', rejected: 'three four five six' },
];
const MARGINS = [0.5, -0.3, 1.2];

function weightsOf(tensors: ReadonlyMap<string, StoredTensor>): Map<string, Float32Array> {
  return new Map([...tensors].map(([n, t]) => [n, t.data as Float32Array]));
}

/** Trains one SGD step from `start` and compares the saved update with −lr × the float64 finite-difference gradient. */
async function checkOneStep(dir: string, start: StartModel, rows: readonly object[], train: Record<string, unknown>, options: { margins?: number[]; center?: number }): Promise<number> {
  const data = writeJsonl(join(dir, 'data.jsonl'), rows);
  const trainer = await createTrainer(runConfig('reward', start.dir, data, join(dir, 'out'), { ...SGD_ONE_STEP, per_device_batch_size: rows.length, ...train }), rewardKernel());
  expect((await trainer.train()).steps).toBe(1);
  const { tensors: after } = await readSafetensors(join(dir, 'out/final/model.safetensors'));
  expect([...after.keys()].sort()).toEqual([...start.tensors.keys()].sort());
  const pairs = refPairs(start.tokenizer, PREF_ROWS);
  const { relError, checked } = updateError(start.tensors, after, (w) => refRewardLoss(start.config, w, pairs, options), LR);
  expect(checked).toBeGreaterThan(20);
  return relError;
}

describe.each<[TinyArch]>([['gpt2'], ['llama'], ['qwen2_moe']])('reward: one SGD step equals w − lr·∇L (%s)', (arch) => {
  it('from a causal LM: new score head seeded by train.seed', async () => {
    const dir = tempDir();
    const start = await causalLmStart(join(dir, 'model'), arch, 5);
    const relError = await checkOneStep(dir, start, PREF_ROWS, { seed: 5 }, {});
    expect(relError).toBeLessThan(1e-3);
  });

  it('from a sequence-classification checkpoint, with a margin column and center_rewards_coefficient', async () => {
    const dir = tempDir();
    const start = await sequenceClassificationStart(join(dir, 'model'), arch, 9);
    const rows = PREF_ROWS.map((r, i) => ({ ...r, margin: MARGINS[i] }));
    const relError = await checkOneStep(dir, start, rows, { center_rewards_coefficient: 0.3 }, { margins: MARGINS, center: 0.3 });
    expect(relError).toBeLessThan(1e-3);
  });
});

describe('reward: learning a synthetic preference and using the result', () => {
  const SEED = 42;
  const heldOut = preferencePairs(32, 2);
  let root: string;
  let start: StartModel;
  let pairs: RefPair[];
  let evalRow: Record<string, number>;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'aligntune-reward-'));
    start = await causalLmStart(join(root, 'model'), 'gpt2', SEED, { weights: 'init', modelSeed: 3 });
    pairs = refPairs(start.tokenizer, heldOut);
    writeJsonl(join(root, 'data/train.jsonl'), preferencePairs(96, 1));
    writeJsonl(join(root, 'data/test.jsonl'), heldOut);
    // the chat-templated prompts are 26–30 tokens: keep them whole, so the float64 checks see what training saw
    const cfg = runConfig('reward', start.dir, join(root, 'data'), join(root, 'out'), { per_device_batch_size: 8, max_steps: 30, learning_rate: 3e-3, lr_scheduler: 'constant', seed: SEED, eval_interval: 30, logging_steps: 10, max_prompt_length: 32, max_length: 56 });
    (cfg.datasets as Array<Record<string, unknown>>)[0]!.eval_split = 'test';
    await (await createTrainer(cfg, rewardKernel())).train();
    evalRow = readMetrics(join(root, 'out/metrics.jsonl')).find((r) => 'eval/accuracy' in r)!;
  });

  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('held-out accuracy goes from about 0.5 to above 0.9', async () => {
    const before = refAccuracy(start.config, weightsOf(start.tensors), pairs);
    const { tensors: after } = await readSafetensors(join(root, 'out/final/model.safetensors'));
    const afterAcc = refAccuracy(start.config, weightsOf(after), pairs);
    expect(before).toBeGreaterThan(0.2);
    expect(before).toBeLessThan(0.8);
    expect(afterAcc).toBeGreaterThan(0.9);
    expect(evalRow['eval/accuracy']).toBeGreaterThan(0.9);
    expect(evalRow['eval/margin']).toBeCloseTo(evalRow['eval/rewards/chosen']! - evalRow['eval/rewards/rejected']!, 5);
    expect(evalRow['eval/min_reward']).toBeLessThanOrEqual(evalRow['eval/max_reward']!);
  });

  it('final/ is a transformers sequence-classification checkpoint', async () => {
    const config = JSON.parse(readFileSync(join(root, 'out/final/config.json'), 'utf8')) as Record<string, unknown>;
    expect(config.architectures).toEqual(['GPT2ForSequenceClassification']);
    expect(Object.keys(config.id2label as object)).toEqual(['0']); // transformers reads num_labels = 1 from it
    expect(config.pad_token_id).toBe(start.tokenizer.padTokenId);
    const { tensors } = await readSafetensors(join(root, 'out/final/model.safetensors'));
    expect(tensors.get('score.weight')!.shape).toEqual([1, 32]);
    expect(tensors.has('lm_head.weight')).toBe(false);
  });

  it("loads with core's RewardModel and scores the chosen above the rejected", async () => {
    const reward = await RewardModel.load(join(root, 'out/final'), { kernel: rewardKernel() });
    const { tensors } = await readSafetensors(join(root, 'out/final/model.safetensors'));
    const want = refRewards(start.config, weightsOf(tensors), pairs);
    const got = await scoreWithGraph(reward, pairs);
    expect(maxAbsDiff(got.chosen, want.chosen)).toBeLessThan(1e-4);
    expect(maxAbsDiff(got.rejected, want.rejected)).toBeLessThan(1e-4);
    expect(got.chosen.filter((c, i) => c > got.rejected[i]!).length / pairs.length).toBeGreaterThan(0.9);
  });
});

describe('reward: checkpoints', () => {
  it('checkpoints are sequence-classification models, and a resumed run ends with the same weights', async () => {
    const dir = tempDir();
    const start = await causalLmStart(join(dir, 'model'), 'llama', 42);
    const data = writeJsonl(join(dir, 'data.jsonl'), PREF_ROWS);
    const train = { max_steps: 2, per_device_batch_size: 2, learning_rate: 1e-2 };
    await (await createTrainer(runConfig('reward', start.dir, data, join(dir, 'full'), { ...train, save_interval: 1 }), rewardKernel())).train();
    const checkpoint = join(dir, 'full/checkpoints/step-1');
    expect(JSON.parse(readFileSync(join(checkpoint, 'config.json'), 'utf8')).architectures).toEqual(['LlamaForSequenceClassification']);
    await (await createTrainer(runConfig('reward', start.dir, data, join(dir, 'resumed'), { ...train, resume_from_checkpoint: checkpoint }), rewardKernel())).train();
    const full = (await readSafetensors(join(dir, 'full/final/model.safetensors'))).tensors;
    const resumed = (await readSafetensors(join(dir, 'resumed/final/model.safetensors'))).tensors;
    expect([...resumed.keys()].sort()).toEqual([...start.tensors.keys()].sort());
    for (const [name, t] of full) expect(resumed.get(name)!.data, name).toEqual(t.data);
  });

  it('a causal LM without the base-model prefix (the original gpt2 layout) is saved with it, so transformers keeps score.weight', async () => {
    const dir = tempDir();
    const { config, tensors, tokenizer } = await writeTinyModel(join(dir, 'lm'), 'gpt2');
    const bare = new Map([...tensors].map(([name, t]) => [name.replace(/^transformer\./, ''), t]));
    await saveModelDir(join(dir, 'model'), config, { tensors: bare, tokenizer });
    const data = writeJsonl(join(dir, 'data.jsonl'), PREF_ROWS);
    await (await createTrainer(runConfig('reward', join(dir, 'model'), data, join(dir, 'out'), { max_steps: 1 }), rewardKernel())).train();
    const { tensors: saved } = await readSafetensors(join(dir, 'out/final/model.safetensors'));
    expect([...saved.keys()].sort()).toEqual([...bare.keys()].map((n) => `transformer.${n}`).concat('score.weight').sort());
  });
});

describe('reward: options and data errors', () => {
  async function setup(rows: readonly object[] = PREF_ROWS): Promise<{ dir: string; model: string; data: string }> {
    const dir = tempDir();
    const start = await sequenceClassificationStart(join(dir, 'model'), 'gpt2', 2);
    return { dir, model: start.dir, data: writeJsonl(join(dir, 'data.jsonl'), rows) };
  }

  it.each([
    [{ center_rewards_coefficient: -0.1 }, 'train.center_rewards_coefficient'],
    [{ center_rewards_coefficient: 'high' }, 'train.center_rewards_coefficient'],
    [{ learning_rate: 0 }, 'train.learning_rate'],
    [{ center_reward_coefficient: 0.01 }, 'train.center_reward_coefficient'],
  ])('%o is an error naming %s', async (train, field) => {
    const { dir, model, data } = await setup();
    await expect(createTrainer(runConfig('reward', model, data, join(dir, 'out'), { max_steps: 1, ...train }), rewardKernel())).rejects.toThrow(field);
  });

  it("defaults are TRL RewardConfig's: learning_rate 1e-4, no centering", async () => {
    const { dir, model, data } = await setup();
    const trainer = await createTrainer(runConfig('reward', model, data, join(dir, 'out'), { max_steps: 1 }), rewardKernel());
    const options = (trainer as unknown as { algorithm: { options: Record<string, unknown> } }).algorithm.options;
    expect(options.learning_rate).toBe(1e-4);
    expect(options.center_rewards_coefficient ?? null).toBeNull();
  });

  it('a margin that is not a number names the row', async () => {
    const rows = PREF_ROWS.map((r, i) => ({ ...r, margin: i === 1 ? 'big' : 0.5 }));
    const { dir, model, data } = await setup(rows);
    const trainer = await createTrainer(runConfig('reward', model, data, join(dir, 'out'), { max_steps: 1 }), rewardKernel());
    await expect(trainer.train()).rejects.toThrow(/data\.jsonl:2: column "margin" must be a finite number, got "big"/);
  });
});

/** Scores each pair's chosen and rejected sequence in one right-padded batch through RewardModel's graph. */
async function scoreWithGraph(reward: RewardModel, pairs: readonly RefPair[]): Promise<{ chosen: number[]; rejected: number[] }> {
  const seqs = [...pairs.map((p) => p.chosen), ...pairs.map((p) => p.rejected)].map((s) => [...s.prompt, ...s.completion]);
  const length = Math.max(...seqs.map((s) => s.length));
  const ids = seqs.map((s) => [...s, ...Array<number>(length - s.length).fill(0)]);
  const mask = seqs.map((s) => Array.from({ length }, (_, t) => (t < s.length ? 1 : 0)));
  const g = new Graph('reward-scores');
  const { scores } = reward.forward(g, declareTokenInputs(g));
  const out = hostValues((await runGraph(g, { scores }, tokenFeeds({ ids, mask })))['scores']!);
  const values = Array.from(out);
  return { chosen: values.slice(0, pairs.length), rejected: values.slice(pairs.length) };
}
