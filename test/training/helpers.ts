import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import {
  initWeights,
  type Kernel,
  saveModelDir,
  TrainerFactory,
  TrainerBase,
  type HfModelConfig,
  type StoredTensor,
  type Tokenizer,
} from '@aligntune/core';
import { startTestKernel, type TestKernelOptions } from '@aligntune/core/testing';
import { parseModelConfig } from '../models/model-types.js';
import { randomTensors } from '../models/graph-helpers.js';
import { tinyTokenizer } from '../models/helpers.js';

export { tinyTokenizer };

const dirs: string[] = [];

/** A fresh temporary directory, removed after the current test. */
export function tempDir(prefix = 'aligntune-training-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** The plugin packages every training run needs. */
export const TRAINING_PLUGINS = [
  '@aligntune/plugin-adapters-builtin',
  '@aligntune/plugin-tasks-builtin',
  '@aligntune/plugin-loader-local',
  '@aligntune/plugin-backend-onnxruntime',
  '@aligntune/plugin-backend-onnxruntime-capi',
  '@aligntune/plugin-distributed-single',
  '@aligntune/plugin-arch-gpt2',
  '@aligntune/plugin-arch-llama',
  '@aligntune/plugin-algo-sft',
  '@aligntune/plugin-algo-dpo',
] as const;

/** A test kernel with every plugin a training run needs, plus `extra` plugins (package names or test doubles). */
export function trainingKernel(extra: TestKernelOptions['plugins'] = [], options: Omit<TestKernelOptions, 'plugins'> = {}): Kernel {
  return startTestKernel({ ...options, plugins: [...TRAINING_PLUGINS, ...extra] }).kernel;
}

export type TinyArch = 'gpt2' | 'llama';

/** Tiny configs (2 layers, hidden 32) over the tiny chat tokenizer's vocabulary. */
export function tinyModelConfig(arch: TinyArch, tok: Tokenizer): HfModelConfig {
  const ids = { vocab_size: tok.vocabSize, bos_token_id: tok.bosTokenId, eos_token_id: tok.eosTokenId };
  const json =
    arch === 'gpt2'
      ? { architectures: ['GPT2LMHeadModel'], model_type: 'gpt2', n_positions: 64, n_embd: 32, n_layer: 2, n_head: 4, layer_norm_epsilon: 1e-5, ...ids }
      : { architectures: ['LlamaForCausalLM'], model_type: 'llama', hidden_size: 32, intermediate_size: 48, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, rms_norm_eps: 1e-6, max_position_embeddings: 64, tie_word_embeddings: false, rope_theta: 10000, ...ids };
  return parseModelConfig(json, `${arch}.json`);
}

/**
 * Writes a tiny model directory (with the tokenizer). `random`: weights of scale 0.3 so gradients are
 * large (exactness tests); `init`: transformers' initialisation (learning tests).
 */
export async function writeTinyModel(dir: string, arch: TinyArch, options: { seed?: number; weights?: 'random' | 'init' } = {}): Promise<{ config: HfModelConfig; tensors: Map<string, StoredTensor>; tokenizer: Tokenizer }> {
  const tokenizer = tinyTokenizer();
  const config = tinyModelConfig(arch, tokenizer);
  const tensors = options.weights === 'init' ? initWeights(config, options.seed ?? 0) : randomTensors(config, options.seed ?? 1);
  await saveModelDir(dir, config, { tensors, tokenizer });
  return { config, tensors: new Map(tensors), tokenizer };
}

export function writeJsonl(path: string, rows: readonly unknown[]): string {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  return path;
}

/** A run config with quiet defaults; `train` entries override. */
/**
 * The compute backend training tests run on: ALIGNTUNE_TEST_BACKEND when set (e.g. `cpu` for onnxruntime-node),
 * else the default choice (the highest-priority CPU backend that loads). The `*-node-backend.test.ts` files re-run
 * the exactness tests with it set to `cpu`, so both CPU backends are checked in every `npm test`.
 */
export function testBackend(): Record<string, unknown> {
  const backend = process.env.ALIGNTUNE_TEST_BACKEND;
  return backend ? { compute: { backend } } : {};
}

export function runConfig(algo: string, model: string, data: string, out: string, train: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    ...testBackend(),
    algo,
    model: { name_or_path: model },
    datasets: [{ name: data }],
    train: { max_length: 48, max_prompt_length: 24, logging_steps: 1, save_interval: 0, ...train },
    logging: { output_dir: out },
    caching: { enabled: false },
    ...extra,
  };
}

/** Creates the trainer through TrainerFactory (validation included) with progress off. */
export async function createTrainer(config: Record<string, unknown>, kernel = trainingKernel()): Promise<TrainerBase> {
  const trainer = (await TrainerFactory.createTrainer(config, { kernel, projectDir: tempDir('aligntune-noproject-') })) as TrainerBase;
  trainer.progress = { enabled: false };
  return trainer;
}

/** metrics.jsonl rows. */
export function readMetrics(file: string): Array<Record<string, number>> {
  return readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, number>);
}

/**
 * Compares a saved SGD update (after − before) with −lr·∇L, ∇L by float64 central differences of `loss` at
 * `before`, on the largest update of every tensor plus a pseudo-random entry: the relative error of the update.
 */
export function updateError(
  before: ReadonlyMap<string, StoredTensor>,
  after: ReadonlyMap<string, StoredTensor>,
  loss: (weights: Map<string, Float64Array>) => number,
  lr: number,
): { relError: number; checked: number } {
  const weights = new Map([...before].map(([name, t]) => [name, Float64Array.from(t.data as Float32Array)]));
  let diff2 = 0;
  let ref2 = 0;
  let checked = 0;
  let seed = 12345;
  for (const [name, w] of weights) {
    const start = before.get(name)!.data as Float32Array;
    const delta = Array.from(after.get(name)!.data as Float32Array, (v, i) => v - start[i]!);
    const largest = delta.reduce((best, d, i) => (Math.abs(d) > Math.abs(delta[best]!) ? i : best), 0);
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    for (const i of new Set([largest, seed % w.length])) {
      const h = 1e-5;
      const saved = w[i]!;
      w[i] = saved + h;
      const plus = loss(weights);
      w[i] = saved - h;
      const minus = loss(weights);
      w[i] = saved;
      const expected = (-lr * (plus - minus)) / (2 * h);
      diff2 += (delta[i]! - expected) ** 2;
      ref2 += expected ** 2;
      checked++;
    }
  }
  return { relError: Math.sqrt(diff2 / ref2), checked };
}
