import { decoderPresetFields, llamaLineageTraits, type ModelTypeTraits, type PresetDims } from '@aligntune/core/models';
import { GEMMA2, GEMMA3, readGemmaConfig, type GemmaConfig } from './gemma-config.js';
import { GEMMA2_CHECKPOINT_PRESETS, GEMMA3_CHECKPOINT_PRESETS } from './gemma-checkpoint-presets.js';
import { gemmaTensorSpecs } from './gemma-tensor-layout.js';

type Presets = Pick<ModelTypeTraits, 'presetConfig' | 'checkpointPresets'>;

function gemmaTraits(readConfig: ModelTypeTraits<GemmaConfig>['readConfig'], classPrefix: string, presets: Presets = {}): ModelTypeTraits<GemmaConfig> {
  return llamaLineageTraits({ readConfig, tensorSpecs: gemmaTensorSpecs, ignoredTensors: [/(^|\.)rotary_emb\.\w*inv_freq$/], classPrefix, ...presets });
}

/**
 * What Gemma 2 and Gemma 3 presets share, as save_pretrained writes it: tied embeddings, query_pre_attn_scalar =
 * head_dim, and local/global layers alternating every other layer so that even the 2-layer preset has both kinds.
 */
function gemmaPresetFields(d: PresetDims, architecture: string, modelType: string): Record<string, unknown> {
  const headDim = d.hidden / d.heads;
  return {
    architectures: [architecture],
    model_type: modelType,
    ...decoderPresetFields(d, { hidden_activation: 'gelu_pytorch_tanh' }),
    head_dim: headDim,
    rms_norm_eps: 1e-6,
    rope_scaling: null,
    attention_bias: false,
    query_pre_attn_scalar: headDim,
    sliding_window: d.positions / 8,
    layer_types: Array.from({ length: d.layers }, (_, i) => (i % 2 === 0 ? 'sliding_attention' : 'full_attention')),
    tie_word_embeddings: true,
  };
}

const MULTIMODAL_GEMMA3 =
  'is Gemma3ForConditionalGeneration (a SigLIP vision tower and a text model under text_config): multimodal models are not supported; ' +
  'use a text-only checkpoint (model_type "gemma3_text", e.g. google/gemma-3-1b-it)';

/** The model types this plugin reads; pass it to parseModelConfig where no kernel is at hand. */
export const GEMMA_MODEL_TYPES: { readonly [modelType in 'gemma2' | 'gemma3_text' | 'gemma3']: ModelTypeTraits<GemmaConfig> } = {
  gemma2: gemmaTraits((f) => readGemmaConfig(f, GEMMA2), 'Gemma2', {
    presetConfig: (d) => ({ ...gemmaPresetFields(d, 'Gemma2ForCausalLM', 'gemma2'), rope_theta: 10000, attn_logit_softcapping: 50, final_logit_softcapping: 30 }),
    checkpointPresets: GEMMA2_CHECKPOINT_PRESETS,
  }),
  gemma3_text: gemmaTraits((f) => readGemmaConfig(f, GEMMA3), 'Gemma3Text', {
    presetConfig: (d) => ({ ...gemmaPresetFields(d, 'Gemma3ForCausalLM', 'gemma3_text'), rope_theta: 1_000_000, rope_local_base_freq: 10000, attn_logit_softcapping: null, final_logit_softcapping: null }),
    checkpointPresets: GEMMA3_CHECKPOINT_PRESETS,
  }),
  gemma3: gemmaTraits((f) => f.fail('model_type', `"gemma3" ${MULTIMODAL_GEMMA3}`), 'Gemma3'),
};
