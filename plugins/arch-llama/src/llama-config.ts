import { readDecoderShape, readRope, type HfModelConfig, type JsonFields, type PreNormDecoderLayout, type RopeSettings, type SharedConfigKey } from '@aligntune/core/models';

/** Llama, Mistral, Qwen2, Qwen3: RoPE, RMSNorm, SwiGLU MLP, grouped-query attention. */
export interface LlamaConfig extends HfModelConfig, RopeSettings {
  readonly family: 'llama';
  readonly rmsNormEps: number;
  /** q/k/v projections have biases (Qwen2 always; Llama/Qwen3 when attention_bias). */
  readonly qkvBias: boolean;
  /** o_proj has a bias (Llama/Qwen3 attention_bias; never Qwen2 or Mistral). */
  readonly outBias: boolean;
  readonly mlpBias: boolean;
  /** Qwen3's per-head RMSNorm of queries and keys, applied before RoPE. */
  readonly qkNorm: boolean;
}

/** How a Llama-family model type differs from Llama: transformers' defaults for it and which optional parts it has. */
export interface LlamaVariant {
  /** max_position_embeddings when absent. */
  readonly maxPositions: number;
  /** Biases: `attention_bias` (q/k/v/o when true), `qkv` (q/k/v always, o never: Qwen2) or `none` (Mistral). */
  readonly attentionBias: 'attention_bias' | 'qkv' | 'none';
  /** Reads `mlp_bias`. */
  readonly mlpBias: boolean;
  readonly qkNorm: boolean;
  /** Reads `sliding_window` with this default (Mistral); absent: full attention, and `use_sliding_window: true` is refused. */
  readonly slidingWindow?: number;
}

/** A Llama-family config.json (LlamaConfig's fields) in the canonical names; what the engine cannot run is refused by name. */
export function readLlamaConfig(f: JsonFields, variant: LlamaVariant): Omit<LlamaConfig, SharedConfigKey> {
  const shape = readDecoderShape(f, { maxPositions: variant.maxPositions, tieWordEmbeddings: false });
  if (variant.slidingWindow === undefined && f.boolOr('use_sliding_window', false)) f.fail('use_sliding_window', `sliding-window attention is not supported for ${f.raw.model_type}`);
  const attentionBias = variant.attentionBias === 'attention_bias' && f.boolOr('attention_bias', false);
  return {
    family: 'llama',
    ...shape,
    slidingWindow: variant.slidingWindow === undefined ? null : slidingWindow(f, variant.slidingWindow),
    rmsNormEps: f.numberOr('rms_norm_eps', 1e-6),
    ...readRope(f, 10000, shape.maxPositionEmbeddings),
    qkvBias: variant.attentionBias === 'qkv' || attentionBias,
    outBias: attentionBias,
    mlpBias: variant.mlpBias && f.boolOr('mlp_bias', false),
    qkNorm: variant.qkNorm,
  };
}

function slidingWindow(f: JsonFields, fallback: number): number | null {
  if (!('sliding_window' in f.raw)) return fallback;
  return f.raw.sliding_window === null ? null : f.count('sliding_window');
}

/** The decoder layout core builds and lays out for a Llama-family config. */
export function llamaLayout(c: LlamaConfig): PreNormDecoderLayout {
  return { ...c, ...(c.qkNorm ? { qkNorm: 'head' as const } : { qkNorm: undefined }) };
}
