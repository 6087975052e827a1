import { decoderPresetFields, llamaLineageTraits, preNormDecoderSpecs, type ModelTypeTraits, type PresetDims } from '@aligntune/core/models';
import { readSmolLM3Config, smolLM3Layout, type SmolLM3Config } from './smollm3-config.js';

/** SmolLM3's 3:1 RoPE/NoPE pattern, the last of every `interval` layers without RoPE. */
function noRopeLayers(layers: number, interval: number): number[] {
  return Array.from({ length: layers }, (_, i) => Number((i + 1) % interval !== 0));
}

/** SmolLM3-3B's layout at the preset's sizes; the interval shrinks so that even 2 layers include a NoPE layer. */
function smolLM3Preset(d: PresetDims): Record<string, unknown> {
  const interval = Math.min(4, d.layers);
  return {
    architectures: ['SmolLM3ForCausalLM'],
    model_type: 'smollm3',
    ...decoderPresetFields(d),
    rms_norm_eps: 1e-6,
    rope_theta: 2000000,
    rope_scaling: null,
    no_rope_layer_interval: interval,
    no_rope_layers: noRopeLayers(d.layers, interval),
    use_sliding_window: false,
    sliding_window: null,
    attention_bias: false,
    mlp_bias: false,
    tie_word_embeddings: true,
  };
}

/**
 * HuggingFaceTB/SmolLM3-3B's config.json (3.08B parameters) as published (checked against a mirror of the Hub repository's
 * file): no tie_word_embeddings key (SmolLM3Config's default ties), pretraining_tp and max_window_layers are read by no
 * SmolLM3 code in transformers.
 */
const SMOLLM3_3B = {
  architectures: ['SmolLM3ForCausalLM'],
  attention_bias: false,
  attention_dropout: 0,
  bos_token_id: 128000,
  eos_token_id: 128012,
  hidden_act: 'silu',
  hidden_size: 2048,
  initializer_range: 0.02,
  intermediate_size: 11008,
  layer_types: Array.from({ length: 36 }, () => 'full_attention'),
  max_position_embeddings: 65536,
  max_window_layers: 28,
  mlp_bias: false,
  model_type: 'smollm3',
  no_rope_layer_interval: 4,
  no_rope_layers: noRopeLayers(36, 4),
  num_attention_heads: 16,
  num_hidden_layers: 36,
  num_key_value_heads: 4,
  pad_token_id: 128004,
  pretraining_tp: 2,
  rms_norm_eps: 1e-6,
  rope_scaling: null,
  rope_theta: 5000000,
  sliding_window: null,
  torch_dtype: 'bfloat16',
  use_cache: false,
  use_sliding_window: false,
  vocab_size: 128256,
};

/** The model type this plugin reads; pass it to parseModelConfig where no kernel is at hand. */
export const SMOLLM3_MODEL_TYPES: { readonly smollm3: ModelTypeTraits<SmolLM3Config> } = {
  smollm3: llamaLineageTraits({
    readConfig: (fields) => readSmolLM3Config(fields),
    tensorSpecs: (config, prefix) => preNormDecoderSpecs(smolLM3Layout(config), prefix),
    classPrefix: 'SmolLM3',
    presetConfig: smolLM3Preset,
    checkpointPresets: { 'smollm3-3b': SMOLLM3_3B },
  }),
};
