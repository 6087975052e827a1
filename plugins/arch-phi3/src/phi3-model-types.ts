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

/** The model type this plugin reads; pass it to parseModelConfig where no kernel is at hand. */
export const PHI3_MODEL_TYPES: { readonly phi3: ModelTypeTraits<Phi3Config> } = {
  phi3: llamaLineageTraits({
    readConfig: (fields) => readPhi3Config(fields),
    tensorSpecs: (config, prefix) => preNormDecoderSpecs(phi3Layout(config), prefix),
    ignoredTensors: [/(^|\.)rotary_emb\.(inv_freq|long_inv_freq|original_inv_freq)$/],
    classPrefix: 'Phi3',
    presetConfig: phi3Preset,
    checkpointPresets: { 'phi-3-mini-4k': PHI3_MINI_4K },
  }),
};
