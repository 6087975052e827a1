import 'reflect-metadata';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateSync } from 'class-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  resolveRewardSpecs,
  RewardAggregator,
  saveModelDir,
  withSequenceClassificationHead,
  type HfModelConfig,
  type Kernel,
  type StoredTensor,
  type Tokenizer,
} from '@aligntune/core';
import { parseModelConfig, presetConfig } from '../models/model-types.js';
import { SentimentParams } from '@aligntune/plugin-rewards-builtin';
import { OnnxRuntimeBackend } from '@aligntune/plugin-backend-onnxruntime';
import { Gpt2Architecture } from '@aligntune/plugin-arch-gpt2';
import { LlamaArchitecture } from '@aligntune/plugin-arch-llama';
import { batch, builtinKernel, rewardFromSpec } from './helpers.js';
import { tinyTokenizer } from '../models/helpers.js';
import { randomTensors } from '../models/graph-helpers.js';
import { lastTokenScores, referenceForward, refWeights } from '../models/reference/reference-forward.js';

interface Fixture {
  dir: string;
  config: HfModelConfig;
  tensors: Map<string, StoredTensor>;
}

let root: string;
let tok: Tokenizer;
let kernel: Kernel;
let binary: Fixture; // gpt2, labels NEGATIVE / POSITIVE
let single: Fixture; // qwen2, one score
let unnamed: Fixture; // llama, LABEL_0 / LABEL_1

const TEXTS = ['what a great day', 'terrible', 'the service was slow and the food was cold, but the view made up for it', 'ok', 'I love it!'];

/** A tiny *ForSequenceClassification checkpoint with weights large enough (±0.3) that scores spread. */
async function classifier(name: string, arch: string, labels: string[] | number, seed: number): Promise<Fixture> {
  const base = presetConfig(arch, 'tiny', { vocabSize: tok.vocabSize, bosTokenId: tok.bosTokenId, eosTokenId: tok.eosTokenId, padTokenId: tok.ownPadTokenId });
  let config = withSequenceClassificationHead(base, typeof labels === 'number' ? labels : labels.length);
  if (Array.isArray(labels)) {
    const id2label = Object.fromEntries(labels.map((l, i) => [String(i), l]));
    config = parseModelConfig({ ...config.raw, id2label, label2id: Object.fromEntries(labels.map((l, i) => [l, i])) }, 'config.json');
  }
  const tensors = randomTensors(config, seed);
  const dir = join(root, name);
  await saveModelDir(dir, config, { tensors, tokenizer: tok });
  return { dir, config, tensors };
}

/** The float64 reference: each text alone (no padding), tokenized and truncated independently, pooled at its last token. */
function referenceLogits(f: Fixture, texts: string[], maxLength = 512): number[][] {
  return texts.map((text) => {
    const ids = tok.encode(text).slice(0, maxLength);
    const out = referenceForward(f.config, refWeights(f.tensors), { inputIds: [ids] });
    return [...lastTokenScores(out, [ids.map(() => 1)])[0]!];
  });
}

/** The documented mapping: 2 · softmax(logits)[positive] − 1. */
function twoPMinusOne(logits: number[], positive: number): number {
  const exps = logits.map((x) => Math.exp(x));
  return (2 * exps[positive]!) / exps.reduce((a, b) => a + b, 0) - 1;
}

function expectClose(got: (number | null)[], want: number[]): void {
  expect(got).toHaveLength(want.length);
  got.forEach((g, i) => expect(Math.abs(g! - want[i]!)).toBeLessThan(1e-4));
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'aligntune-sentiment-'));
  tok = tinyTokenizer();
  kernel = builtinKernel();
  for (const cls of [OnnxRuntimeBackend, Gpt2Architecture, LlamaArchitecture]) kernel.registerClass(cls);
  binary = await classifier('binary', 'gpt2', ['NEGATIVE', 'POSITIVE'], 1);
  single = await classifier('single', 'qwen2', 1, 2);
  unnamed = await classifier('unnamed', 'llama', 2, 3);
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('sentiment with model=: scores through the engine', () => {
  it('2 labels: 2p − 1 of the /pos/i label, batched with padding, equal to the float64 reference', async () => {
    const reward = await rewardFromSpec(kernel, `sentiment:model=${binary.dir}:batch_size=2`);
    const want = referenceLogits(binary, TEXTS).map((l) => twoPMinusOne(l, 1));
    // The check is only meaningful if the fixture's scores actually spread.
    expect(Math.max(...want) - Math.min(...want)).toBeGreaterThan(0.05);
    expectClose(await reward.score(batch(TEXTS)), want);
    // Reused across calls (compiled once): a second batch in another order still matches.
    const reversed = [...TEXTS].reverse();
    expectClose(await reward.score(batch(reversed)), [...want].reverse());
  });

  it('1 label: the raw score; target=negative flips the sign; max_length keeps the start', async () => {
    const want = referenceLogits(single, TEXTS).map((l) => l[0]!);
    expectClose(await (await rewardFromSpec(kernel, `sentiment:model=${single.dir}`)).score(batch(TEXTS)), want);
    const negative = await rewardFromSpec(kernel, `sentiment:model=${single.dir}:target=negative:max_length=4`);
    const truncated = referenceLogits(single, TEXTS, 4).map((l) => -l[0]!);
    expect(tok.encode(TEXTS[2]!).length).toBeGreaterThan(4);
    expectClose(await negative.score(batch(TEXTS)), truncated);
  });

  it('label= picks the positive label by name or id (case-insensitive)', async () => {
    const want = referenceLogits(unnamed, TEXTS.slice(0, 2)).map((l) => twoPMinusOne(l, 0));
    expectClose(await (await rewardFromSpec(kernel, `sentiment:model=${unnamed.dir}:label=label_0`)).score(batch(TEXTS.slice(0, 2))), want);
    expectClose(await (await rewardFromSpec(kernel, `sentiment:model=${unnamed.dir}:label=0`)).score(batch(TEXTS.slice(0, 2))), want);
  });
});

describe('sentiment with model=: errors name rewards.N.model', () => {
  const rejects = (spec: string, pattern: RegExp) => expect(rewardFromSpec(kernel, spec)).rejects.toThrow(pattern);

  it('a missing directory, an unsupported architecture, a causal LM', async () => {
    await rejects(`sentiment:model=${join(root, 'nope')}`, /rewards\.0\.model: .*nope: no such model directory/);
    const bert = join(root, 'bert');
    mkdirSync(bert);
    writeFileSync(join(bert, 'config.json'), JSON.stringify({ model_type: 'bert', architectures: ['BertForSequenceClassification'], id2label: { 0: 'NEGATIVE', 1: 'POSITIVE' } }));
    // Which model types are readable is the installed architecture plugins' say, known when the model loads.
    const unsupported = await rewardFromSpec(kernel, `sentiment:model=${bert}`);
    await expect(unsupported.score(batch(['ok']))).rejects.toThrow(/model=.*bert: model_type "bert" has no architecture plugin \(supported: gpt2, llama, mistral, qwen2, qwen3\)/);
    const lm = join(root, 'lm');
    mkdirSync(lm);
    writeFileSync(join(lm, 'config.json'), JSON.stringify(presetConfig('gpt2', 'tiny', { vocabSize: 50, bosTokenId: 0, eosTokenId: 0, padTokenId: null }).raw));
    await rejects(`sentiment:model=${lm}`, /rewards\.0\.model: .*not a sequence-classification checkpoint \(model_type "gpt2", architectures GPT2LMHeadModel/);
  });

  it('labels: unknown, ambiguous, on a single score, without model=; extra_words with model=', async () => {
    await rejects(`sentiment:model=${binary.dir}:label=neutral`, /rewards\.0\.model: label "neutral" is not one of the checkpoint's labels \(0: NEGATIVE, 1: POSITIVE\)/);
    await rejects(`sentiment:model=${unnamed.dir}`, /rewards\.0\.model: cannot tell which label is positive \(0: LABEL_0, 1: LABEL_1\): name it with label=/);
    await rejects(`sentiment:model=${single.dir}:label=x`, /rewards\.0\.model: label=x needs a checkpoint with 2 or more labels/);
    await rejects('sentiment:label=POSITIVE', /rewards\.0\.label: needs model=/);
    // A spec string cannot carry a mapping (':' separates segments), so check the params class directly.
    const params = Object.assign(new SentimentParams(), { model: binary.dir, extra_words: { meh: -1 } });
    expect(validateSync(params).flatMap((e) => Object.values(e.constraints ?? {}).map((m) => `${e.property}: ${m}`))).toEqual(['extra_words: applies to the lexicon only; remove it or model=']);
  });

  it('a Hub id passes validation; a failure at load names the entry (here: no architecture plugin)', async () => {
    await expect(rewardFromSpec(kernel, 'sentiment:model=some-org/some-classifier')).resolves.toBeDefined();
    const bare = builtinKernel();
    bare.registerClass(OnnxRuntimeBackend);
    const entries = await resolveRewardSpecs(bare, ['length', `sentiment:model=${single.dir}`]);
    const aggregator = await RewardAggregator.create(bare, entries, { config: { rewards: entries } });
    await expect(aggregator.score(batch(['fine']))).rejects.toThrow(/reward "sentiment" failed: rewards\.1\.model: model_type "qwen2" has no architecture plugin/);
  });
});
