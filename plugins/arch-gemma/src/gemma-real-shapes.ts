/**
 * `model init` presets with the shapes of Google's checkpoints (their config.json fields; vocabulary and special
 * tokens come from the tokenizer given to `model init`).
 */
export const GEMMA3_REAL_SHAPES = {
  'gemma-3-1b': {
    architectures: ['Gemma3ForCausalLM'],
    model_type: 'gemma3_text',
    attention_bias: false,
    attention_dropout: 0,
    attn_logit_softcapping: null,
    final_logit_softcapping: null,
    head_dim: 256,
    hidden_activation: 'gelu_pytorch_tanh',
    hidden_size: 1152,
    initializer_range: 0.02,
    intermediate_size: 6912,
    max_position_embeddings: 32768,
    num_attention_heads: 4,
    num_hidden_layers: 26,
    num_key_value_heads: 1,
    query_pre_attn_scalar: 256,
    rms_norm_eps: 1e-6,
    rope_local_base_freq: 10000,
    rope_scaling: null,
    rope_theta: 1_000_000,
    sliding_window: 512,
    sliding_window_pattern: 6,
    torch_dtype: 'float32',
  },
} as const;

export const GEMMA2_REAL_SHAPES = {
  'gemma-2-2b': {
    architectures: ['Gemma2ForCausalLM'],
    model_type: 'gemma2',
    attention_bias: false,
    attention_dropout: 0,
    attn_logit_softcapping: 50,
    final_logit_softcapping: 30,
    head_dim: 256,
    hidden_activation: 'gelu_pytorch_tanh',
    hidden_size: 2304,
    initializer_range: 0.02,
    intermediate_size: 9216,
    max_position_embeddings: 8192,
    num_attention_heads: 8,
    num_hidden_layers: 26,
    num_key_value_heads: 4,
    query_pre_attn_scalar: 256,
    rms_norm_eps: 1e-6,
    rope_theta: 10000,
    sliding_window: 4096,
    torch_dtype: 'float32',
  },
} as const;
