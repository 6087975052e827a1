import { presetShapeFields, type ModelTypeTraits } from '@aligntune/core/models';
import { readOlmo2Config, type Olmo2Config } from './olmo2-config.js';
import { OLMO2_REAL_SHAPES } from './olmo2-real-shapes.js';
import { olmo2TensorSpecs } from './olmo2-tensor-layout.js';

/** The model types this plugin reads; pass it to parseModelConfig where no kernel is at hand. */
export const OLMO2_MODEL_TYPES: { readonly olmo2: ModelTypeTraits<Olmo2Config> } = {
  olmo2: {
    readConfig: readOlmo2Config,
    tensorSpecs: olmo2TensorSpecs,
    tensorPrefix: 'model.',
    embeddingName: 'embed_tokens.weight',
    ignoredTensors: [/(^|\.)rotary_emb\.inv_freq$/],
    classPrefix: 'Olmo2',
    // as Olmo2Config.save_pretrained writes it; dropout 0 (the engine has none), untied head as OLMo 2 ships
    presetConfig: (d) => ({
      architectures: ['Olmo2ForCausalLM'],
      model_type: 'olmo2',
      ...presetShapeFields(d),
      hidden_act: 'silu',
      rms_norm_eps: 1e-6,
      rope_theta: 500000,
      rope_scaling: null,
      attention_bias: false,
      attention_dropout: 0,
      tie_word_embeddings: false,
      torch_dtype: 'float32',
    }),
    realShapes: OLMO2_REAL_SHAPES,
  },
};
