import { decoderPresetFields, llamaLineageTraits, type ModelTypeTraits } from '@aligntune/core/models';
import { readOlmo2Config, type Olmo2Config } from './olmo2-config.js';
import { OLMO2_CHECKPOINT_PRESETS } from './olmo2-checkpoint-presets.js';
import { olmo2TensorSpecs } from './olmo2-tensor-layout.js';

/** The model types this plugin reads; pass it to parseModelConfig where no kernel is at hand. */
export const OLMO2_MODEL_TYPES: { readonly olmo2: ModelTypeTraits<Olmo2Config> } = {
  olmo2: llamaLineageTraits({
    readConfig: readOlmo2Config,
    tensorSpecs: olmo2TensorSpecs,
    classPrefix: 'Olmo2',
    // as Olmo2Config.save_pretrained writes it; dropout 0 (the engine has none), untied head as OLMo 2 ships
    presetConfig: (d) => ({
      architectures: ['Olmo2ForCausalLM'],
      model_type: 'olmo2',
      ...decoderPresetFields(d),
      rms_norm_eps: 1e-6,
      rope_theta: 500000,
      rope_scaling: null,
      attention_bias: false,
      tie_word_embeddings: false,
    }),
    checkpointPresets: OLMO2_CHECKPOINT_PRESETS,
  }),
};
