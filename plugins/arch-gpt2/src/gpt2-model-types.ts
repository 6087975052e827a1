import { type ModelTypeTraits, type PresetDims } from '@aligntune/core/models';
import { readGpt2Config, type Gpt2Config } from './gpt2-config.js';
import { gpt2TensorSpecs } from './gpt2-tensor-layout.js';

/** A preset's config.json as GPT2LMHeadModel.save_pretrained writes it (dropout 0: the engine has none). */
function gpt2Preset(d: PresetDims): Record<string, unknown> {
  return {
    architectures: ['GPT2LMHeadModel'],
    model_type: 'gpt2',
    vocab_size: d.vocabSize,
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
    ...d.tokenIds,
    tie_word_embeddings: true,
    torch_dtype: 'float32',
  };
}

/** The model types this plugin reads; pass it to parseModelConfig where no kernel is at hand. */
export const GPT2_MODEL_TYPES: { readonly gpt2: ModelTypeTraits<Gpt2Config> } = {
  gpt2: {
    readConfig: readGpt2Config,
    tensorSpecs: gpt2TensorSpecs,
    tensorPrefix: 'transformer.',
    embeddingName: 'wte.weight',
    // The causal-mask buffers older checkpoints carry.
    ignoredTensors: [/(^|\.)attn\.(bias|masked_bias)$/],
    classPrefix: 'GPT2',
    presetConfig: gpt2Preset,
  },
};
