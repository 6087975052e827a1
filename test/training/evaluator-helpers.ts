import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  defaultTensorPrefix,
  inject,
  Bool,
  Optional,
  Reward,
  saveModelDir,
  TrainerFactory,
  withSequenceClassificationHead,
  type Constructor,
  type HfModelConfig,
  type Kernel,
  type RewardBatch,
  type StoredTensor,
  Tokens,
  type UnifiedConfig,
} from '@aligntune/core';
import { randomTensors } from '../models/graph-helpers.js';
import { referenceForward, refWeights, tokenLogProbs } from '../models/reference/reference-forward.js';
import { tempDir, tinyModelConfig, tinyTokenizer, trainingKernel, writeJsonl, writeTinyModel } from './helpers.js';

export interface TinyModel {
  readonly dir: string;
  readonly config: HfModelConfig;
  readonly tensors: Map<string, StoredTensor>;
}

/** The training kernel plus the built-in rewards; `replace` swaps in test doubles by reward id. */
export function evaluatorKernel(replace: Record<string, Constructor> = {}): Kernel {
  return trainingKernel(['@aligntune/plugin-rewards-builtin', ...Object.values(replace)]);
}

/** A tiny random GPT-2 (scale-0.3 weights, so log-probs spread) with the tiny chat tokenizer. */
export async function randomGpt2(dir: string, seed: number): Promise<TinyModel> {
  const { config, tensors } = await writeTinyModel(dir, 'gpt2', { seed });
  return { dir, config, tensors };
}

/**
 * A GPT-2 whose every prediction is `token`: ln_f's weight is 0, so the final hidden state is ln_f's bias
 * whatever the input, and that bias points along the token's (tied, enlarged) embedding.
 */
export async function constantGpt2(dir: string, token: number, seed = 3): Promise<TinyModel> {
  const tokenizer = tinyTokenizer();
  const config = tinyModelConfig('gpt2', tokenizer);
  const tensors = randomTensors(config, seed);
  const hidden = config.hiddenSize;
  const prefix = defaultTensorPrefix(config);
  const wte = tensors.get(`${prefix}wte.weight`)!.data as Float32Array;
  const row = wte.subarray(token * hidden, (token + 1) * hidden);
  for (let i = 0; i < hidden; i++) row[i]! *= 3;
  const norm = Math.hypot(...row);
  tensors.set(`${prefix}ln_f.weight`, { dtype: 'F32', shape: [hidden], data: new Float32Array(hidden) });
  tensors.set(`${prefix}ln_f.bias`, { dtype: 'F32', shape: [hidden], data: Float32Array.from(row, (v) => (10 * v) / norm) });
  await saveModelDir(dir, config, { tensors, tokenizer });
  return { dir, config, tensors };
}

/** A tiny GPT2ForSequenceClassification with one output (a reward model). */
export async function rewardGpt2(dir: string, seed: number): Promise<TinyModel> {
  const tokenizer = tinyTokenizer();
  const config = withSequenceClassificationHead(tinyModelConfig('gpt2', tokenizer), 1);
  const tensors = randomTensors(config, seed);
  await saveModelDir(dir, config, { tensors, tokenizer });
  return { dir, config, tensors };
}

/** A dataset directory with train.jsonl and test.jsonl (the local loader's splits). */
export function writeSplits(root: string, name: string, test: readonly unknown[], train: readonly unknown[] = test): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  writeJsonl(join(dir, 'train.jsonl'), train);
  writeJsonl(join(dir, 'test.jsonl'), test);
  return dir;
}

/** A validated run config evaluating `datasets` (each with eval_split test). */
export async function evalConfig(kernel: Kernel, model: string, datasets: readonly Record<string, unknown>[], extra: { train?: Record<string, unknown>; rewards?: unknown[]; algo?: string } = {}): Promise<UnifiedConfig> {
  const plain = {
    algo: extra.algo ?? 'dpo',
    model: { name_or_path: model },
    datasets: datasets.map((ds) => ({ eval_split: 'test', ...ds })),
    rewards: extra.rewards ?? [],
    train: { max_steps: 1, max_length: 48, max_prompt_length: 24, per_device_batch_size: 2, ...extra.train },
    logging: { output_dir: tempDir() },
    caching: { enabled: false },
  };
  return (await TrainerFactory.resolveConfig(plain, { kernel, projectDir: tempDir('aligntune-noproject-') })).config;
}

/** Per completion token, log π of a sequence (float64 reference forward): entries for ids[prompt.length..]. */
export function completionTokenLogps(model: TinyModel, prompt: ArrayLike<number>, completion: ArrayLike<number>): number[] {
  const ids = [...Array.from(prompt), ...Array.from(completion)];
  const logits = referenceForward(model.config, refWeights(model.tensors), { inputIds: [ids] }).logits[0]!;
  return Array.from(tokenLogProbs(logits, ids).subarray(prompt.length));
}

export function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

/** The one param of the code reward that the evaluator sets (the code task's `syntax_valid_rate` spec: `code:execute=false`). */
class ParityParams {
  @Optional()
  @Bool()
  execute?: boolean;
}

/** A stand-in for the `code` reward: 1 when the completion has an even number of characters; records what the executing instance returned. */
@Reward('code', { params: ParityParams, description: 'test double: 1 for an even number of characters' })
export class ParityCodeReward {
  static readonly scored: number[] = [];
  constructor(@inject(Tokens.Params) private readonly params: { execute?: boolean }) {}

  score({ completions }: RewardBatch): number[] {
    const values = completions.map((text) => (text.length % 2 === 0 ? 1 : 0));
    if (this.params.execute !== false) ParityCodeReward.scored.push(...values);
    return values;
  }
}
