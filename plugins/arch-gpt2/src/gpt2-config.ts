import { type HfModelConfig, type JsonFields, type SharedConfigKey } from '@aligntune/core/models';

/** GPT-2 / DialoGPT / distilgpt2: learned positions, LayerNorm, fused Conv1D attention, gelu_new MLP. */
export interface Gpt2Config extends HfModelConfig {
  readonly family: 'gpt2';
  readonly layerNormEps: number;
  readonly activation: 'gelu_new';
}

/** GPT2Config's fields (n_embd, n_head, ...) in the canonical names; what the engine cannot run is refused by name. */
export function readGpt2Config(f: JsonFields): Omit<Gpt2Config, SharedConfigKey> {
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
    slidingWindow: null,
    layerNormEps: f.numberOr('layer_norm_epsilon', 1e-5),
    activation: 'gelu_new',
  };
}
