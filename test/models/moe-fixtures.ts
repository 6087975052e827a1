import { MOE_CHECKPOINT_CONFIGS } from '@aligntune/plugin-arch-moe';

/** Small sizes every scaled-down MoE fixture shares (the reference is plain loops). */
const SMALL = { vocab_size: 48, hidden_size: 16, intermediate_size: 24, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, max_position_embeddings: 64 };

/**
 * Each real checkpoint's config.json (MOE_CHECKPOINT_CONFIGS: the same fields and routing settings) at small sizes,
 * so every part of each model type is exercised: Mixtral's sliding window and renormalised top 2 of 4 experts;
 * Qwen1.5-MoE's shared expert with its sigmoid gate, q/k/v biases, un-normalised top 2 and a dense layer
 * (decoder_sparse_step 2); Qwen3-MoE's per-head q/k norms, head_dim ≠ hidden / heads, normalised top 3 of 6 and
 * mlp_only_layers; OLMoE's whole-projection q/k norms and top 3 of 5 un-normalised.
 */
export const MOE_TINY_CONFIGS: Record<string, Record<string, unknown>> = {
  mixtral: { ...MOE_CHECKPOINT_CONFIGS['mistralai/Mixtral-8x7B-v0.1'], ...SMALL, num_local_experts: 4, sliding_window: 5, torch_dtype: 'float32' },
  qwen2_moe: { ...MOE_CHECKPOINT_CONFIGS['Qwen/Qwen1.5-MoE-A2.7B'], ...SMALL, num_key_value_heads: 4, num_experts: 4, num_experts_per_tok: 2, moe_intermediate_size: 12, shared_expert_intermediate_size: 20, decoder_sparse_step: 2, num_hidden_layers: 3, torch_dtype: 'float32' },
  qwen3_moe: { ...MOE_CHECKPOINT_CONFIGS['Qwen/Qwen3-30B-A3B'], ...SMALL, head_dim: 8, num_experts: 6, num_experts_per_tok: 3, moe_intermediate_size: 10, mlp_only_layers: [0], torch_dtype: 'float32' },
  olmoe: { ...MOE_CHECKPOINT_CONFIGS['allenai/OLMoE-1B-7B-0924'], ...SMALL, num_key_value_heads: 4, num_experts: 5, num_experts_per_tok: 3, intermediate_size: 12, pad_token_id: null, torch_dtype: 'float32' },
};
