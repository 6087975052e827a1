import { OnnxRuntimeBackend } from '@aligntune/plugin-backend-onnxruntime';
import { Gpt2Architecture } from '@aligntune/plugin-arch-gpt2';
import { LlamaArchitecture } from '@aligntune/plugin-arch-llama';
import { Phi3Architecture } from '@aligntune/plugin-arch-phi3';
import { SmolLM3Architecture } from '@aligntune/plugin-arch-smollm3';
import { MoeArchitecture, type MoeConfig } from '@aligntune/plugin-arch-moe';
import { GEMMA_MODEL_TYPES, GemmaArchitecture } from '@aligntune/plugin-arch-gemma';
import { OLMO2_MODEL_TYPES, Olmo2Architecture } from '@aligntune/plugin-arch-olmo2';
import {
  declareTokenInputs,
  DecoderModel,
  emitModel,
  encodeModel,
  Graph,
  hostTensor,
  hostValues,
  hostWeights,
  leftPad,
  tensorSpecs,
  toCanonicalWeights,
  type HfModelConfig,
  type HostTensor,
  type ModelArchitecture,
  type StoredTensor,
  type Tensor,
} from '@aligntune/core';
import { parseModelConfig } from './model-types.js';
import { randomArray } from './helpers.js';
import { MOE_TINY_CONFIGS } from './moe-fixtures.js';
import { positionsFromMask } from './reference/reference-forward.js';
import { scaledDown } from './real-configs.js';

const GPT2 = { architectures: ['GPT2LMHeadModel'], model_type: 'gpt2', vocab_size: 48, n_positions: 32, n_embd: 16, n_layer: 2, n_head: 4, layer_norm_epsilon: 1e-5 };
const LLAMA_COMMON = { vocab_size: 48, hidden_size: 16, intermediate_size: 24, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, rms_norm_eps: 1e-6, max_position_embeddings: 64 };

const PHI3_COMMON = {
  ...LLAMA_COMMON,
  hidden_size: 32,
  rms_norm_eps: 1e-5,
  partial_rotary_factor: 0.75,
  tie_word_embeddings: true,
  rope_theta: 10000,
  rope_scaling: { type: 'longrope', short_factor: [1, 1.5, 3], long_factor: [1, 6, 20] },
};

/** Tiny configs covering each feature: GQA (2 and 4 queries per kv head), biases, q/k norms, head_dim ≠ hidden/heads, tying, scaling, windows. */
export const TINY_CONFIGS: Record<string, Record<string, unknown>> = {
  gpt2: GPT2,
  llama: { architectures: ['LlamaForCausalLM'], model_type: 'llama', ...LLAMA_COMMON, tie_word_embeddings: false, rope_theta: 10000 },
  'llama-scaled': { architectures: ['LlamaForCausalLM'], model_type: 'llama', ...LLAMA_COMMON, tie_word_embeddings: true, rope_theta: 500, rope_scaling: { type: 'linear', factor: 2 } },
  qwen2: { architectures: ['Qwen2ForCausalLM'], model_type: 'qwen2', ...LLAMA_COMMON, num_key_value_heads: 1, tie_word_embeddings: true, rope_theta: 1000000 },
  qwen3: { architectures: ['Qwen3ForCausalLM'], model_type: 'qwen3', ...LLAMA_COMMON, head_dim: 8, tie_word_embeddings: false, rope_theta: 1000000 },
  mistral: { architectures: ['MistralForCausalLM'], model_type: 'mistral', ...LLAMA_COMMON, sliding_window: 3, tie_word_embeddings: false },
  // Llama 3.2 (tied, head_dim given) and 3.1 (untied): llama3 RoPE with an original length that puts one frequency in each band.
  llama3: { architectures: ['LlamaForCausalLM'], model_type: 'llama', ...LLAMA_COMMON, head_dim: 8, tie_word_embeddings: true, rope_theta: 500000, rope_scaling: { factor: 32, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 512, rope_type: 'llama3' } },
  llama31: { architectures: ['LlamaForCausalLM'], model_type: 'llama', ...LLAMA_COMMON, tie_word_embeddings: false, rope_theta: 500000, rope_scaling: { factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 64, rope_type: 'llama3' } },
  'qwen2-yarn': { architectures: ['Qwen2ForCausalLM'], model_type: 'qwen2', ...LLAMA_COMMON, tie_word_embeddings: true, rope_theta: 10000, rope_scaling: { type: 'yarn', factor: 4, original_max_position_embeddings: 16 } },
  'llama-dynamic': { architectures: ['LlamaForCausalLM'], model_type: 'llama', ...LLAMA_COMMON, max_position_embeddings: 4, tie_word_embeddings: false, rope_scaling: { type: 'dynamic', factor: 3 } },
  // Phi-4-mini's shape: fused projections, GQA, tied, 3/4 of each head rotating, LongRoPE (short factors below 32 positions; -long: past 4).
  phi3: { architectures: ['Phi3ForCausalLM'], model_type: 'phi3', ...PHI3_COMMON, original_max_position_embeddings: 32 },
  'phi3-long': { architectures: ['Phi3ForCausalLM'], model_type: 'phi3', ...PHI3_COMMON, original_max_position_embeddings: 4 },
  // Phi-3-mini-4k's: multi-head, untied, no scaling, a sliding window.
  'phi3-mini': { architectures: ['Phi3ForCausalLM'], model_type: 'phi3', ...LLAMA_COMMON, num_key_value_heads: 4, rms_norm_eps: 1e-5, rope_scaling: null, sliding_window: 3, tie_word_embeddings: false },
  smollm3: { architectures: ['SmolLM3ForCausalLM'], model_type: 'smollm3', ...LLAMA_COMMON, rope_theta: 2000000, no_rope_layers: [1, 0], no_rope_layer_interval: 2, tie_word_embeddings: true },
  ...MOE_TINY_CONFIGS,
  // Real config.json files scaled down: a window of 3 bites within the 7-token test rows; query_pre_attn_scalar ≠ head_dim
  // and caps small enough to bend the scores and logits, so a wrong scale or a missing cap shows.
  gemma2: scaledDown('gemma-2-2b-it', { ...LLAMA_COMMON, head_dim: 8, query_pre_attn_scalar: 6, sliding_window: 3, attn_logit_softcapping: 1, final_logit_softcapping: 3, eos_token_id: [1, 46] }),
  // 6 layers so that sliding_window_pattern 6 gives five local layers (rope_local_base_freq) and one global (rope_theta).
  gemma3: scaledDown('gemma-3-1b-it', { ...LLAMA_COMMON, num_hidden_layers: 6, num_key_value_heads: 1, head_dim: 8, query_pre_attn_scalar: 6, sliding_window: 3, eos_token_id: [1, 46] }),
  olmo2: scaledDown('olmo-2-0425-1b', { ...LLAMA_COMMON, eos_token_id: 46, pad_token_id: 47 }),
  // RoPE scaling on the non-Llama families goes through the same tables: YaRN's attention factor, dynamic NTK past 4 positions
  'olmo2-yarn': scaledDown('olmo-2-0425-1b', { ...LLAMA_COMMON, rope_scaling: { rope_type: 'yarn', factor: 4, original_max_position_embeddings: 16 } }),
  'mixtral-dynamic': { ...MOE_TINY_CONFIGS.mixtral, max_position_embeddings: 4, rope_scaling: { rope_type: 'dynamic', factor: 3 } },
};

export function tinyConfig(name: string, extra: Record<string, unknown> = {}): HfModelConfig {
  return parseModelConfig({ ...TINY_CONFIGS[name], ...extra }, `${name}.json`);
}

/** Random weights big enough that logits spread (scale 0.3; norm scales 1 ± 0.3, biases nonzero) under HF names. */
export function randomTensors(config: HfModelConfig, seed: number): Map<string, StoredTensor> {
  const out = new Map<string, StoredTensor>();
  tensorSpecs(config).forEach((s, i) => {
    const n = s.hfShape.reduce((a, b) => a * b, 1);
    const data = randomArray(n, seed * 1000 + i, 0.3);
    if (s.init === 'ones') for (let k = 0; k < n; k++) data[k]! += 1;
    out.set(s.hfName, { dtype: 'F32', shape: s.hfShape, data });
  });
  return out;
}

const ARCHITECTURES: Record<string, () => ModelArchitecture> = {
  gpt2: () => new Gpt2Architecture(),
  phi3: () => new Phi3Architecture(),
  smollm3: () => new SmolLM3Architecture(),
  ...Object.fromEntries(Object.keys(GEMMA_MODEL_TYPES).map((type) => [type, () => new GemmaArchitecture()])),
  ...Object.fromEntries(Object.keys(OLMO2_MODEL_TYPES).map((type) => [type, () => new Olmo2Architecture()])),
};

export function architectureFor(config: HfModelConfig): ModelArchitecture {
  if ((config as MoeConfig).family === 'moe') return new MoeArchitecture();
  return (ARCHITECTURES[config.modelType] ?? (() => new LlamaArchitecture()))();
}

export function tinyModel(name: string, seed = 1, extra: Record<string, unknown> = {}): { model: DecoderModel; tensors: Map<string, StoredTensor> } {
  const config = tinyConfig(name, extra);
  const tensors = randomTensors(config, seed);
  const { weights, prefix } = toCanonicalWeights(config, tensors);
  return { model: new DecoderModel({ config, architecture: architectureFor(config), weights: hostWeights(weights), prefix }), tensors };
}

let shared: OnnxRuntimeBackend | undefined;
export function backend(): OnnxRuntimeBackend {
  shared ??= new OnnxRuntimeBackend().configure({ intraOpNumThreads: 2 });
  return shared;
}

/** Full-forward logits (no cache) of left-padded rows [rows, len, vocab], as the training graph computes them. */
export async function fullLogits(model: DecoderModel, rows: number[][], padId: number): Promise<{ logits: Float64Array; len: number }> {
  const g = new Graph('full');
  const inputs = declareTokenInputs(g);
  const { hidden, weights } = model.forward(g, inputs, 'input');
  const batch = leftPad(rows, padId);
  const out = await runGraph(g, { logits: model.lmLogits(g, weights, hidden) }, { ...tokenFeeds({ ids: batch.ids, mask: batch.mask }), ...weights.feeds() });
  return { logits: hostValues(out.logits!), len: batch.ids[0]!.length };
}

/** Emits `outputs` of `g`, compiles with onnxruntime and runs once. */
export async function runGraph(g: Graph, outputs: Record<string, Tensor>, feeds: Record<string, HostTensor>): Promise<Record<string, HostTensor>> {
  const compiled = await backend().compile(encodeModel(emitModel(g, { outputs })), { label: g.label });
  try {
    const used = Object.fromEntries(compiled.inputNames.map((n) => [n, feeds[n]!]));
    return await compiled.run(used);
  } finally {
    await compiled.dispose();
  }
}

export interface TokenRows {
  readonly ids: number[][];
  readonly mask: number[][];
}

/** input_ids / attention_mask / position_ids feeds (positions: cumsum(mask) − 1, padding 1). */
export function tokenFeeds(rows: TokenRows, prefix = ''): Record<string, HostTensor> {
  const dims = [rows.ids.length, rows.ids[0]!.length];
  return {
    [`${prefix}input_ids`]: hostTensor('int64', dims, rows.ids.flat()),
    [`${prefix}attention_mask`]: hostTensor('int64', dims, rows.mask.flat()),
    [`${prefix}position_ids`]: hostTensor('int64', dims, rows.mask.flatMap(positionsFromMask)),
  };
}

/** A batch with a full row, a right-padded row and a left-padded row (T = 7). */
export function paddedRows(vocab: number, seed = 3): TokenRows {
  const r = randomArray(21, seed, 1);
  const id = (i: number) => Math.floor(((r[i]! + 1) / 2) * vocab) % vocab;
  const ids = [0, 1, 2].map((b) => Array.from({ length: 7 }, (_, t) => id(b * 7 + t)));
  const mask = [
    [1, 1, 1, 1, 1, 1, 1],
    [1, 1, 1, 1, 1, 0, 0],
    [0, 0, 0, 1, 1, 1, 1],
  ];
  // Padding ids are arbitrary; use 0 so a mask bug changes the result.
  return { ids: ids.map((row, b) => row.map((v, t) => (mask[b]![t] ? v : 0))), mask };
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(Number(a[i]) - Number(b[i])));
  return m;
}
