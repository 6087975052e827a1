import { parseModelConfig, type HfModelConfig } from './hf-model-config.js';
import { tensorSpecs } from './tensor-layout.js';

export const PRESET_ARCHITECTURES = ['gpt2', 'llama', 'qwen2', 'qwen3'] as const;
export type PresetArchitecture = (typeof PRESET_ARCHITECTURES)[number];
export const PRESET_SIZES = ['tiny', 'small'] as const;
export type PresetSize = (typeof PRESET_SIZES)[number];

/** Special-token ids of the tokenizer the model is built for; the vocabulary size is the tokenizer's. */
export interface PresetTokens {
  readonly vocabSize: number;
  readonly bosTokenId: number | null;
  readonly eosTokenId: number | null;
  readonly padTokenId?: number | null;
}

interface Dims {
  readonly layers: number;
  readonly hidden: number;
  readonly heads: number;
  readonly kvHeads: number;
  readonly intermediate: number;
  readonly positions: number;
}

/** tiny: a test model (2 layers, hidden 64); small: a few million parameters, most of them embeddings. */
const DIMS: Record<PresetSize, Dims> = {
  tiny: { layers: 2, hidden: 64, heads: 4, kvHeads: 2, intermediate: 128, positions: 256 },
  small: { layers: 4, hidden: 128, heads: 4, kvHeads: 2, intermediate: 352, positions: 512 },
};

/**
 * The config.json of a preset model, as transformers would write it. Dropout is 0 because the engine
 * has none, so the saved model trains the same way under PyTorch.
 */
export function presetConfigJson(arch: PresetArchitecture, size: PresetSize, tokens: PresetTokens): Record<string, unknown> {
  const d = DIMS[size];
  const ids = { bos_token_id: tokens.bosTokenId, eos_token_id: tokens.eosTokenId, pad_token_id: tokens.padTokenId ?? null };
  if (arch === 'gpt2') return gpt2Json(d, tokens.vocabSize, ids);
  const common = {
    vocab_size: tokens.vocabSize,
    hidden_size: d.hidden,
    intermediate_size: d.intermediate,
    num_hidden_layers: d.layers,
    num_attention_heads: d.heads,
    num_key_value_heads: d.kvHeads,
    head_dim: d.hidden / d.heads,
    hidden_act: 'silu',
    max_position_embeddings: d.positions,
    initializer_range: 0.02,
    rms_norm_eps: 1e-6,
    rope_theta: 10000,
    rope_scaling: null,
    attention_dropout: 0,
    ...ids,
    torch_dtype: 'float32',
  };
  if (arch === 'llama') return { architectures: ['LlamaForCausalLM'], model_type: 'llama', ...common, attention_bias: false, mlp_bias: false, tie_word_embeddings: false };
  // Small Qwen checkpoints (0.5B–1.7B) tie the embeddings; so do the presets.
  const qwen = { ...common, use_sliding_window: false, sliding_window: null, max_window_layers: d.layers, tie_word_embeddings: true };
  if (arch === 'qwen2') return { architectures: ['Qwen2ForCausalLM'], model_type: 'qwen2', ...qwen };
  return { architectures: ['Qwen3ForCausalLM'], model_type: 'qwen3', ...qwen, attention_bias: false };
}

function gpt2Json(d: Dims, vocabSize: number, ids: Record<string, number | null>): Record<string, unknown> {
  return {
    architectures: ['GPT2LMHeadModel'],
    model_type: 'gpt2',
    vocab_size: vocabSize,
    n_positions: d.positions,
    n_embd: d.hidden,
    n_layer: d.layers,
    n_head: d.heads,
    n_inner: null,
    activation_function: 'gelu_new',
    resid_pdrop: 0,
    embd_pdrop: 0,
    attn_pdrop: 0,
    layer_norm_epsilon: 1e-5,
    initializer_range: 0.02,
    ...ids,
    tie_word_embeddings: true,
    torch_dtype: 'float32',
  };
}

export function presetConfig(arch: PresetArchitecture, size: PresetSize, tokens: PresetTokens): HfModelConfig {
  return parseModelConfig(presetConfigJson(arch, size, tokens), `preset ${arch}/${size}`);
}

/** Number of parameters of a config (tied embeddings counted once). */
export function parameterCount(config: HfModelConfig): number {
  return tensorSpecs(config).reduce((n, s) => n + s.hfShape.reduce((a, b) => a * b, 1), 0);
}
