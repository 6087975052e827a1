/**
 * `model init` presets with the shapes of AI2's checkpoints (their config.json fields; vocabulary and special
 * tokens come from the tokenizer given to `model init`).
 */
export const OLMO2_REAL_SHAPES = {
  'olmo-2-1b': {
    architectures: ['Olmo2ForCausalLM'],
    model_type: 'olmo2',
    attention_bias: false,
    attention_dropout: 0,
    hidden_act: 'silu',
    hidden_size: 2048,
    initializer_range: 0.02,
    intermediate_size: 8192,
    max_position_embeddings: 4096,
    num_attention_heads: 16,
    num_hidden_layers: 16,
    num_key_value_heads: 16,
    rms_norm_eps: 1e-6,
    rope_scaling: null,
    rope_theta: 500000,
    tie_word_embeddings: false,
    torch_dtype: 'float32',
  },
} as const;
