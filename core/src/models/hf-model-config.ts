import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { JsonFields, ModelFileError } from './json-fields.js';

export const SUPPORTED_MODEL_TYPES = ['gpt2', 'llama', 'mistral', 'qwen2', 'qwen3'] as const;
export type SupportedModelType = (typeof SUPPORTED_MODEL_TYPES)[number];
export type LlamaFamilyType = Exclude<SupportedModelType, 'gpt2'>;

/** What sits on top of the decoder: a language-model head, or the `score` head of `*ForSequenceClassification`. */
export type ModelHead = { readonly kind: 'causal-lm' } | { readonly kind: 'sequence-classification'; readonly numLabels: number };

export interface RopeScaling {
  readonly type: 'linear';
  /** Positions are divided by this factor (inv_freq / factor). */
  readonly factor: number;
}

/** Fields every supported decoder-only architecture has, in our names; `raw` is config.json as read. */
export interface DecoderConfigBase {
  readonly modelType: SupportedModelType;
  readonly architectures: readonly string[];
  readonly head: ModelHead;
  readonly vocabSize: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly numHeads: number;
  readonly numKvHeads: number;
  readonly headDim: number;
  readonly intermediateSize: number;
  readonly maxPositionEmbeddings: number;
  readonly tieWordEmbeddings: boolean;
  readonly initializerRange: number;
  readonly bosTokenId: number | null;
  readonly eosTokenIds: readonly number[];
  readonly padTokenId: number | null;
  readonly raw: Readonly<Record<string, unknown>>;
}

/** GPT-2 / DialoGPT / distilgpt2: learned positions, LayerNorm, fused Conv1D attention, gelu_new MLP. */
export interface Gpt2Config extends DecoderConfigBase {
  readonly family: 'gpt2';
  readonly modelType: 'gpt2';
  readonly layerNormEps: number;
  readonly activation: 'gelu_new';
}

/** Llama, Mistral, Qwen2, Qwen3: RoPE, RMSNorm, SwiGLU MLP, grouped-query attention. */
export interface LlamaConfig extends DecoderConfigBase {
  readonly family: 'llama';
  readonly modelType: LlamaFamilyType;
  readonly rmsNormEps: number;
  readonly ropeTheta: number;
  readonly ropeScaling: RopeScaling | null;
  /** q/k/v projections have biases (Qwen2 always; Llama/Qwen3 when attention_bias). */
  readonly qkvBias: boolean;
  /** o_proj has a bias (Llama/Qwen3 attention_bias; never Qwen2 or Mistral). */
  readonly outBias: boolean;
  readonly mlpBias: boolean;
  /** Qwen3's per-head RMSNorm of queries and keys, applied before RoPE. */
  readonly qkNorm: boolean;
  /** Mistral: a key is visible when query − key < slidingWindow; null means full causal attention. */
  readonly slidingWindow: number | null;
}

export type HfModelConfig = Gpt2Config | LlamaConfig;

export interface ParseConfigOptions {
  /** Force the head regardless of `architectures` (e.g. a value model built from a policy config). */
  readonly head?: ModelHead;
}

export const CONFIG_NAME = 'config.json';

/** Reads `<dir>/config.json`. */
export async function readModelConfig(dir: string, options: ParseConfigOptions = {}): Promise<HfModelConfig> {
  const file = join(dir, CONFIG_NAME);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new ModelFileError(file, undefined, 'cannot read the model configuration (is this a Hugging Face model directory?)');
  }
  return parseModelConfig(JsonFields.parse(text, file).raw, file, options);
}

/** Parses a config.json object; `file` only labels errors. */
export function parseModelConfig(raw: Readonly<Record<string, unknown>>, file = CONFIG_NAME, options: ParseConfigOptions = {}): HfModelConfig {
  const f = new JsonFields(raw, file);
  if (!f.has('model_type')) f.fail('model_type', `is required but missing (supported: ${SUPPORTED_MODEL_TYPES.join(', ')})`);
  const modelType = f.stringOr('model_type', '');
  if (!(SUPPORTED_MODEL_TYPES as readonly string[]).includes(modelType)) {
    f.fail('model_type', `"${modelType}" is not supported (supported: ${SUPPORTED_MODEL_TYPES.join(', ')})`);
  }
  return modelType === 'gpt2' ? parseGpt2(f, options) : parseLlama(f, modelType as LlamaFamilyType, options);
}

function parseHead(f: JsonFields, options: ParseConfigOptions): { architectures: string[]; head: ModelHead } {
  const architectures = f.stringList('architectures');
  if (options.head) return { architectures, head: options.head };
  if (!architectures.some((a) => a.endsWith('ForSequenceClassification'))) return { architectures, head: { kind: 'causal-lm' } };
  const labels = f.raw.id2label;
  const fromLabels = typeof labels === 'object' && labels !== null ? Object.keys(labels).length : 2;
  return { architectures, head: { kind: 'sequence-classification', numLabels: f.countOr('num_labels', fromLabels) } };
}

function commonIds(f: JsonFields) {
  return { bosTokenId: f.tokenId('bos_token_id'), eosTokenIds: f.tokenIds('eos_token_id'), padTokenId: f.tokenId('pad_token_id') };
}

function parseGpt2(f: JsonFields, options: ParseConfigOptions): Gpt2Config {
  const hiddenSize = f.count('n_embd');
  const numHeads = f.count('n_head');
  if (hiddenSize % numHeads !== 0) f.fail('n_head', `n_embd ${hiddenSize} is not divisible by n_head ${numHeads}`);
  const act = f.stringOr('activation_function', 'gelu_new');
  // gelu_pytorch_tanh is the same tanh approximation under another name.
  if (act !== 'gelu_new' && act !== 'gelu_pytorch_tanh') f.fail('activation_function', `"${act}" is not supported (supported: gelu_new)`);
  if (f.boolOr('scale_attn_by_inverse_layer_idx', false)) f.fail('scale_attn_by_inverse_layer_idx', 'true is not supported');
  if (!f.boolOr('scale_attn_weights', true)) f.fail('scale_attn_weights', 'false is not supported');
  if (f.boolOr('add_cross_attention', false)) f.fail('add_cross_attention', 'cross-attention is not supported');
  return {
    family: 'gpt2',
    modelType: 'gpt2',
    ...parseHead(f, options),
    vocabSize: f.count('vocab_size'),
    hiddenSize,
    numLayers: f.count('n_layer'),
    numHeads,
    numKvHeads: numHeads,
    headDim: hiddenSize / numHeads,
    intermediateSize: f.countOr('n_inner', 4 * hiddenSize),
    maxPositionEmbeddings: f.count('n_positions'),
    tieWordEmbeddings: f.boolOr('tie_word_embeddings', true),
    initializerRange: f.numberOr('initializer_range', 0.02),
    ...commonIds(f),
    layerNormEps: f.numberOr('layer_norm_epsilon', 1e-5),
    activation: 'gelu_new',
    raw: f.raw,
  };
}

/** Defaults transformers applies when a field is absent, per model type. */
const LLAMA_DEFAULTS: Record<LlamaFamilyType, { maxPositions: number; slidingWindow: number | null }> = {
  llama: { maxPositions: 2048, slidingWindow: null },
  mistral: { maxPositions: 4096 * 32, slidingWindow: 4096 },
  qwen2: { maxPositions: 32768, slidingWindow: null },
  qwen3: { maxPositions: 32768, slidingWindow: null },
};

function parseLlama(f: JsonFields, modelType: LlamaFamilyType, options: ParseConfigOptions): LlamaConfig {
  const hiddenSize = f.count('hidden_size');
  const numHeads = f.count('num_attention_heads');
  const numKvHeads = f.countOr('num_key_value_heads', numHeads);
  if (numHeads % numKvHeads !== 0) f.fail('num_key_value_heads', `${numKvHeads} does not divide num_attention_heads ${numHeads}`);
  if (!f.has('head_dim') && hiddenSize % numHeads !== 0) f.fail('num_attention_heads', `hidden_size ${hiddenSize} is not divisible by ${numHeads}`);
  const headDim = f.countOr('head_dim', hiddenSize / numHeads);
  if (headDim % 2 !== 0) f.fail('head_dim', `${headDim} must be even for rotary embeddings`);
  const act = f.stringOr('hidden_act', 'silu');
  if (act !== 'silu') f.fail('hidden_act', `"${act}" is not supported (supported: silu)`);
  if (modelType.startsWith('qwen') && f.boolOr('use_sliding_window', false)) f.fail('use_sliding_window', 'sliding-window attention is not supported for Qwen');
  const attentionBias = modelType !== 'mistral' && f.boolOr('attention_bias', false);
  return {
    family: 'llama',
    modelType,
    ...parseHead(f, options),
    vocabSize: f.count('vocab_size'),
    hiddenSize,
    numLayers: f.count('num_hidden_layers'),
    numHeads,
    numKvHeads,
    headDim,
    intermediateSize: f.count('intermediate_size'),
    maxPositionEmbeddings: f.countOr('max_position_embeddings', LLAMA_DEFAULTS[modelType].maxPositions),
    tieWordEmbeddings: f.boolOr('tie_word_embeddings', false),
    initializerRange: f.numberOr('initializer_range', 0.02),
    ...commonIds(f),
    rmsNormEps: f.numberOr('rms_norm_eps', 1e-6),
    ...parseRope(f),
    qkvBias: modelType === 'qwen2' ? true : attentionBias,
    outBias: modelType === 'qwen2' ? false : attentionBias,
    mlpBias: modelType === 'llama' && f.boolOr('mlp_bias', false),
    qkNorm: modelType === 'qwen3',
    slidingWindow: modelType === 'mistral' ? slidingWindow(f) : null,
    raw: f.raw,
  };
}

function slidingWindow(f: JsonFields): number | null {
  if (!('sliding_window' in f.raw)) return LLAMA_DEFAULTS.mistral.slidingWindow;
  return f.raw.sliding_window === null ? null : f.count('sliding_window');
}

/**
 * RoPE parameters from transformers 4.x fields (`rope_theta`, `rope_scaling`) or 5.x `rope_parameters`
 * (which carries rope_theta itself). Only default and linear scaling are supported.
 */
function parseRope(f: JsonFields): { ropeTheta: number; ropeScaling: RopeScaling | null } {
  const field = f.has('rope_parameters') ? 'rope_parameters' : 'rope_scaling';
  const params = f.raw[field];
  let ropeTheta = f.numberOr('rope_theta', 10000);
  if (params === undefined || params === null) return { ropeTheta, ropeScaling: null };
  if (typeof params !== 'object' || Array.isArray(params)) f.fail(field, `must be an object or null, got ${JSON.stringify(params)}`);
  const p = new JsonFields(params as Record<string, unknown>, f.file);
  if (p.has('rope_theta')) ropeTheta = p.numberOr('rope_theta', ropeTheta);
  const type = p.has('rope_type') ? p.raw.rope_type : p.raw.type;
  if (type === undefined || type === 'default') return { ropeTheta, ropeScaling: null };
  if (type !== 'linear') f.fail(field, `rope type ${JSON.stringify(type)} is not supported (supported: linear, or null/default)`);
  const factor = p.raw.factor;
  if (typeof factor !== 'number' || !(factor > 0)) f.fail(field, `linear scaling needs a positive "factor", got ${JSON.stringify(factor)}`);
  return { ropeTheta, ropeScaling: { type: 'linear', factor } };
}

/** The config with a `score` head of `numLabels` outputs (1 for reward and value models), as config.json would say. */
export function withSequenceClassificationHead(config: HfModelConfig, numLabels = 1): HfModelConfig {
  const prefix = { gpt2: 'GPT2', llama: 'Llama', mistral: 'Mistral', qwen2: 'Qwen2', qwen3: 'Qwen3' }[config.modelType];
  // transformers serialises the label count as id2label/label2id, not num_labels.
  const labels = Array.from({ length: numLabels }, (_, i) => `LABEL_${i}`);
  const raw: Record<string, unknown> = {
    ...config.raw,
    architectures: [`${prefix}ForSequenceClassification`],
    id2label: Object.fromEntries(labels.map((l, i) => [String(i), l])),
    label2id: Object.fromEntries(labels.map((l, i) => [l, i])),
  };
  delete raw.num_labels;
  return parseModelConfig(raw, 'config.json');
}
