import { decoderPresetFields, llamaLineageTraits, preNormDecoderSpecs, type ModelTypeTraits, type PresetDims } from '@aligntune/core/models';
import { phi3Layout, readPhi3Config, type Phi3Config } from './phi3-config.js';

/** Phi-4-mini's layout scaled to the preset's sizes: GQA, tied embeddings, 3/4 of each head rotating, no sliding window. */
function phi3Preset(d: PresetDims): Record<string, unknown> {
  return {
    architectures: ['Phi3ForCausalLM'],
    model_type: 'phi3',
    ...decoderPresetFields(d),
    original_max_position_embeddings: d.positions,
    rms_norm_eps: 1e-5,
    rope_theta: 10000,
    rope_scaling: null,
    partial_rotary_factor: 0.75,
    sliding_window: null,
    embd_pdrop: 0,
    resid_pdrop: 0,
    tie_word_embeddings: true,
  };
}

/** microsoft/Phi-3-mini-4k-instruct's config.json (3.8B parameters). */
const PHI3_MINI_4K = {
  architectures: ['Phi3ForCausalLM'],
  model_type: 'phi3',
  attention_dropout: 0,
  bos_token_id: 1,
  embd_pdrop: 0,
  eos_token_id: 32000,
  hidden_act: 'silu',
  hidden_size: 3072,
  initializer_range: 0.02,
  intermediate_size: 8192,
  max_position_embeddings: 4096,
  num_attention_heads: 32,
  num_hidden_layers: 32,
  num_key_value_heads: 32,
  original_max_position_embeddings: 4096,
  pad_token_id: 32000,
  resid_pdrop: 0,
  rms_norm_eps: 1e-5,
  rope_scaling: null,
  rope_theta: 10000,
  sliding_window: 2047,
  tie_word_embeddings: false,
  torch_dtype: 'bfloat16',
  vocab_size: 32064,
};

/** Phi-4-mini's LongRoPE factors, one per rotated frequency (3/4 of head_dim 128 rotates: 48 pairs). */
const PHI4_MINI_LONG_FACTOR = [
  1, 1.118320672, 1.250641126, 1.398617824, 1.564103225, 1.74916897, 1.956131817, 2.187582649, 2.446418898, 2.735880826, 3.059592084,
  3.421605075, 3.826451687, 4.279200023, 4.785517845, 5.351743533, 5.984965424, 6.693110555, 7.485043894, 8.370679318, 9.36110372,
  10.4687158, 11.70738129, 13.09260651, 14.64173252, 16.37415215, 18.31155283, 20.47818807, 22.90118105, 25.61086418, 28.64115884,
  32.03, 32.1, 32.13, 32.23, 32.6, 32.61, 32.64, 32.66, 32.7, 32.71, 32.93, 32.97, 33.28, 33.49, 33.5, 44.16, 47.77,
];

/**
 * microsoft/Phi-4-mini-instruct's config.json (3.84B parameters), less `auto_map` and `_name_or_path`: its remote code
 * (configuration_phi3.py) is not written by model init, and transformers reads model_type phi3 natively.
 */
const PHI4_MINI = {
  architectures: ['Phi3ForCausalLM'],
  model_type: 'phi3',
  attention_bias: false,
  attention_dropout: 0,
  bos_token_id: 199999,
  embd_pdrop: 0,
  eos_token_id: 199999,
  full_attn_mod: 1,
  hidden_act: 'silu',
  hidden_size: 3072,
  initializer_range: 0.02,
  intermediate_size: 8192,
  interpolate_factor: 1,
  lm_head_bias: false,
  max_position_embeddings: 131072,
  mlp_bias: false,
  num_attention_heads: 24,
  num_hidden_layers: 32,
  num_key_value_heads: 8,
  original_max_position_embeddings: 4096,
  pad_token_id: 199999,
  partial_rotary_factor: 0.75,
  resid_pdrop: 0,
  rms_norm_eps: 1e-5,
  rope_scaling: { long_factor: PHI4_MINI_LONG_FACTOR, short_factor: PHI4_MINI_LONG_FACTOR.map(() => 1), type: 'longrope' },
  rope_theta: 10000,
  sliding_window: 262144,
  tie_word_embeddings: true,
  torch_dtype: 'bfloat16',
  use_cache: true,
  vocab_size: 200064,
};

/** The model type this plugin reads; pass it to parseModelConfig where no kernel is at hand. */
export const PHI3_MODEL_TYPES: { readonly phi3: ModelTypeTraits<Phi3Config> } = {
  phi3: llamaLineageTraits({
    readConfig: (fields) => readPhi3Config(fields),
    tensorSpecs: (config, prefix) => preNormDecoderSpecs(phi3Layout(config), prefix),
    ignoredTensors: [/(^|\.)rotary_emb\.(inv_freq|long_inv_freq|original_inv_freq)$/],
    classPrefix: 'Phi3',
    presetConfig: phi3Preset,
    checkpointPresets: { 'phi-3-mini-4k': PHI3_MINI_4K, 'phi-4-mini': PHI4_MINI },
  }),
};
