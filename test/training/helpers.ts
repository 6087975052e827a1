import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import {
  initWeights,
  type Kernel,
  saveModelDir,
  TrainerFactory,
  ContractTrainer,
  type HfModelConfig,
  type StoredTensor,
  type Tokenizer,
} from '@aligntune/core';
import { startTestKernel, type TestKernelOptions } from '@aligntune/core/testing';
import { parseModelConfig } from '../models/model-types.js';
import { randomTensors } from '../models/graph-helpers.js';
import { tinyTokenizer } from '../models/helpers.js';
import { MOE_TINY_CONFIGS } from '../models/moe-fixtures.js';
import { scaledDown } from '../models/real-configs.js';

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
  '@aligntune/plugin-arch-phi3',
  '@aligntune/plugin-arch-smollm3',
  '@aligntune/plugin-arch-moe',
  '@aligntune/plugin-arch-gemma',
  '@aligntune/plugin-arch-olmo2',
  '@aligntune/plugin-algo-sft',
  '@aligntune/plugin-algo-dpo',
] as const;

/** A test kernel with every plugin a training run needs, plus `extra` plugins (package names or test doubles). */
export function trainingKernel(extra: TestKernelOptions['plugins'] = [], options: Omit<TestKernelOptions, 'plugins'> = {}): Kernel {
  return startTestKernel({ ...options, plugins: [...TRAINING_PLUGINS, ...extra] }).kernel;
}

/** The tiny models every algorithm's tests run. */
export type TinyArch = 'gpt2' | 'llama' | 'qwen2_moe';
/** Every tiny training model: TinyArch and the families tested for SFT/DPO only. */
export type TinyFamily = TinyArch | keyof typeof FAMILY_CONFIGS;

const LLAMA_SIZES = { hidden_size: 32, intermediate_size: 48, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, max_position_embeddings: 64 };
const LLAMA_SHAPE = { ...LLAMA_SIZES, tie_word_embeddings: true };
/**
 * Llama 3.2 (llama3 RoPE, tied), Phi-4-mini (fused projections, partial rotary, LongRoPE), SmolLM3 (a NoPE layer) and
 * Gemma 3 (a local then a global layer) at the same size.
 */
const FAMILY_CONFIGS = {
  llama3: { architectures: ['LlamaForCausalLM'], model_type: 'llama', ...LLAMA_SHAPE, rms_norm_eps: 1e-5, rope_theta: 500000, rope_scaling: { rope_type: 'llama3', factor: 32, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 512 } },
  phi3: { architectures: ['Phi3ForCausalLM'], model_type: 'phi3', ...LLAMA_SHAPE, max_position_embeddings: 128, original_max_position_embeddings: 64, partial_rotary_factor: 0.75, rms_norm_eps: 1e-5, rope_theta: 10000, rope_scaling: { type: 'longrope', short_factor: [1, 1.5, 3], long_factor: [1, 6, 20] } },
  smollm3: { architectures: ['SmolLM3ForCausalLM'], model_type: 'smollm3', ...LLAMA_SHAPE, rms_norm_eps: 1e-6, rope_theta: 2000000, no_rope_layers: [1, 0] },
  // gemma-3-1b-it's config.json scaled down: a local layer (window 4, which the training rows exceed) then a global one
  gemma3: scaledDown('gemma-3-1b-it', { ...LLAMA_SIZES, head_dim: 8, query_pre_attn_scalar: 8, sliding_window: 4, sliding_window_pattern: 2 }),
};

/** Tiny configs (2 layers, hidden 32) over the tiny chat tokenizer's vocabulary, or a larger one (ids the tokenizer never makes). */
export function tinyModelConfig(arch: TinyFamily, tok: Tokenizer, vocabSize = tok.vocabSize): HfModelConfig {
  const ids = { vocab_size: vocabSize, bos_token_id: tok.bosTokenId, eos_token_id: tok.eosTokenId };
  // Qwen1.5-MoE's config.json scaled down, with the router load-balancing loss on (a large coefficient, so its gradient shows)
  if (arch === 'qwen2_moe') return parseModelConfig({ ...MOE_TINY_CONFIGS.qwen2_moe, ...ids, output_router_logits: true, router_aux_loss_coef: 0.5 }, `${arch}.json`);
  const json =
    arch === 'gpt2'
      ? { architectures: ['GPT2LMHeadModel'], model_type: 'gpt2', n_positions: 64, n_embd: 32, n_layer: 2, n_head: 4, layer_norm_epsilon: 1e-5 }
      : arch === 'llama'
      ? { architectures: ['LlamaForCausalLM'], model_type: 'llama', ...LLAMA_SIZES, rms_norm_eps: 1e-6, tie_word_embeddings: false, rope_theta: 10000 }
      : FAMILY_CONFIGS[arch];
  return parseModelConfig({ ...json, ...ids }, `${arch}.json`);
}

/**
 * Writes a tiny model directory (with the tokenizer). `random`: weights of scale 0.3 so gradients are
 * large (exactness tests); `init`: transformers' initialisation (learning tests).
 */
export async function writeTinyModel(dir: string, arch: TinyFamily, options: { seed?: number; weights?: 'random' | 'init'; vocabSize?: number } = {}): Promise<{ config: HfModelConfig; tensors: Map<string, StoredTensor>; tokenizer: Tokenizer }> {
  const tokenizer = tinyTokenizer();
  const config = tinyModelConfig(arch, tokenizer, options.vocabSize);
  const tensors = options.weights === 'init' ? initWeights(config, options.seed ?? 0) : randomTensors(config, options.seed ?? 1);
  await saveModelDir(dir, config, { tensors, tokenizer });
  return { config, tensors: new Map(tensors), tokenizer };
}

export function writeJsonl(path: string, rows: readonly unknown[]): string {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  return path;
}

/**
 * The compute backend training tests run on: ALIGNTUNE_TEST_BACKEND when set (e.g. `cpu` for onnxruntime-node),
 * else the default choice (the highest-priority CPU backend that loads). The `*-node-backend.test.ts` files re-run
 * the exactness tests with it set to `cpu` (a part of each matrix: casesForBackend), so both CPU backends are checked
 * in every `npm test`.
 */
export function testBackend(): Record<string, unknown> {
  const backend = process.env.ALIGNTUNE_TEST_BACKEND;
  return backend ? { compute: { backend } } : {};
}

/**
 * `cases`, or in a `*-node-backend.test.ts` twin (use-node-backend.ts sets ALIGNTUNE_TEST_TWIN) only those `keep`
 * picks: each algorithm once on one architecture. The second backend runs every architecture's graph through the
 * same code, and test/engine/backend-conformance.ts checks its operators in full, so the rest of the matrix would
 * repeat the default backend's checks. `npm run test:long` (ALIGNTUNE_TEST_LONG=1) runs the whole matrix there too.
 */
export function casesForBackend<T>(cases: readonly T[], keep: (item: T) => boolean): T[] {
  const twin = process.env.ALIGNTUNE_TEST_TWIN === '1' && process.env.ALIGNTUNE_TEST_LONG !== '1';
  return twin ? cases.filter(keep) : [...cases];
}

/** A run config with quiet defaults; `train` entries override. */
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
export async function createTrainer(config: Record<string, unknown>, kernel = trainingKernel()): Promise<ContractTrainer> {
  const trainer = (await TrainerFactory.createTrainer(config, { kernel, projectDir: tempDir('aligntune-noproject-') })) as ContractTrainer;
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
