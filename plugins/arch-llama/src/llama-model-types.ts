import { decoderPresetFields, llamaLineageTraits, preNormDecoderSpecs, type ModelTypeTraits, type PresetDims } from '@aligntune/core/models';
import { llamaLayout, readLlamaConfig, type LlamaConfig, type LlamaVariant } from './llama-config.js';

/**
 * The traits of a Llama-family model type: `variant` says how it reads config.json, `classPrefix` is its
 * transformers class stem (`Qwen2`), `preset` its `model init` config.json (none: no presets). Exported so a
 * plugin for another Llama-like type can build on it.
 */
export function llamaFamilyTraits(variant: LlamaVariant, classPrefix: string, preset?: (d: PresetDims) => Record<string, unknown>, checkpoints?: ModelTypeTraits['checkpointPresets']): ModelTypeTraits<LlamaConfig> {
  return llamaLineageTraits({
    readConfig: (fields) => readLlamaConfig(fields, variant),
    tensorSpecs: (config, prefix) => preNormDecoderSpecs(llamaLayout(config), prefix),
    classPrefix,
    ...(preset ? { presetConfig: preset } : {}),
    ...(checkpoints ? { checkpointPresets: checkpoints } : {}),
  });
}

/** What every Llama-family preset shares, as LlamaConfig.save_pretrained writes it (dropout 0: the engine has none). */
export function llamaPresetFields(d: PresetDims): Record<string, unknown> {
  return { ...decoderPresetFields(d), head_dim: d.hidden / d.heads, rms_norm_eps: 1e-6, rope_theta: 10000, rope_scaling: null };
}

/** What Llama 3.1 and 3.2 share: the 128K tiktoken vocabulary, GQA with 8 kv heads, llama3 RoPE over θ = 500000. */
const LLAMA3 = {
  architectures: ['LlamaForCausalLM'],
  model_type: 'llama',
  attention_bias: false,
  attention_dropout: 0,
  bos_token_id: 128000,
  eos_token_id: [128001, 128008, 128009],
  hidden_act: 'silu',
  initializer_range: 0.02,
  max_position_embeddings: 131072,
  mlp_bias: false,
  num_attention_heads: 32,
  num_key_value_heads: 8,
  pretraining_tp: 1,
  rms_norm_eps: 1e-5,
  rope_theta: 500000,
  torch_dtype: 'bfloat16',
  vocab_size: 128256,
};
const llama3Rope = (factor: number) => ({ factor, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 8192, rope_type: 'llama3' });

/** meta-llama/Llama-3.2-1B-Instruct (tied head) and Llama-3.1-8B-Instruct (untied), as their config.json files say. */
const LLAMA_CHECKPOINTS = {
  'llama-3.2-1b': { ...LLAMA3, head_dim: 64, hidden_size: 2048, intermediate_size: 8192, num_hidden_layers: 16, rope_scaling: llama3Rope(32), tie_word_embeddings: true },
  'llama-3.1-8b': { ...LLAMA3, hidden_size: 4096, intermediate_size: 14336, num_hidden_layers: 32, rope_scaling: llama3Rope(8), tie_word_embeddings: false },
};

// Small Qwen checkpoints (0.5B–1.7B) tie the embeddings; so do the presets.
const qwenPreset = (d: PresetDims) => ({ ...llamaPresetFields(d), use_sliding_window: false, sliding_window: null, max_window_layers: d.layers, tie_word_embeddings: true });

/** The model types this plugin reads; pass it to parseModelConfig where no kernel is at hand. */
export const LLAMA_MODEL_TYPES: { readonly [modelType in 'llama' | 'mistral' | 'qwen2' | 'qwen3']: ModelTypeTraits<LlamaConfig> } = {
  llama: llamaFamilyTraits(
    { maxPositions: 2048, attentionBias: 'attention_bias', mlpBias: true, qkNorm: false },
    'Llama',
    (d) => ({
      architectures: ['LlamaForCausalLM'],
      model_type: 'llama',
      ...llamaPresetFields(d),
      attention_bias: false,
      mlp_bias: false,
      tie_word_embeddings: false,
    }),
    LLAMA_CHECKPOINTS,
  ),
  mistral: llamaFamilyTraits({ maxPositions: 4096 * 32, attentionBias: 'none', mlpBias: false, qkNorm: false, slidingWindow: 4096 }, 'Mistral'),
  qwen2: llamaFamilyTraits({ maxPositions: 32768, attentionBias: 'qkv', mlpBias: false, qkNorm: false }, 'Qwen2', (d) => ({ architectures: ['Qwen2ForCausalLM'], model_type: 'qwen2', ...qwenPreset(d) })),
  qwen3: llamaFamilyTraits({ maxPositions: 32768, attentionBias: 'attention_bias', mlpBias: false, qkNorm: true }, 'Qwen3', (d) => ({
    architectures: ['Qwen3ForCausalLM'],
    model_type: 'qwen3',
    ...qwenPreset(d),
    attention_bias: false,
  })),
};
