import { JsonFields, readDecoderShape, readRope, type HfModelConfig, type RopeSettings, type SharedConfigKey } from '@aligntune/core/models';

/** Gemma 2 and Gemma 3 (text): (1 + w) RMSNorms around attention and MLP, GeGLU, scaled embeddings, local/global layers. */
export interface GemmaConfig extends HfModelConfig {
  readonly family: 'gemma';
  readonly version: 2 | 3;
  readonly rmsNormEps: number;
  /** q/k/v/o projections have biases (`attention_bias`). */
  readonly attentionBias: boolean;
  /** Scores are scaled by query_pre_attn_scalar^−1/2 instead of head_dim^−1/2. */
  readonly queryPreAttnScalar: number;
  /** Scores become cap·tanh(scores / cap) (Gemma 2); null: none. */
  readonly attnLogitSoftcapping: number | null;
  readonly finalLogitSoftcapping: number | null;
  /** Per layer: a sliding-window (local) layer, else global. */
  readonly slidingLayers: readonly boolean[];
  /** RoPE of the global layers (rope_theta, rope_scaling). */
  readonly globalRope: RopeSettings;
  /** RoPE of the sliding layers: Gemma 3's rope_local_base_freq without scaling; Gemma 2's is the global one. */
  readonly localRope: RopeSettings;
  /** Gemma 3's per-head (1 + w) RMSNorm of queries and keys, before RoPE. */
  readonly qkNorm: boolean;
}

/** What Gemma 2 and Gemma 3 set differently, as their transformers configs default them. */
interface GemmaVersion {
  readonly version: 2 | 3;
  readonly maxPositions: number;
  readonly ropeTheta: number;
  /** Every `pattern`-th layer (1-based) is global when layer_types is absent. */
  readonly slidingPattern: number;
  readonly attnLogitSoftcapping: number | null;
  readonly finalLogitSoftcapping: number | null;
}

export const GEMMA2: GemmaVersion = { version: 2, maxPositions: 8192, ropeTheta: 10000, slidingPattern: 2, attnLogitSoftcapping: 50, finalLogitSoftcapping: 30 };
export const GEMMA3: GemmaVersion = { version: 3, maxPositions: 131072, ropeTheta: 1_000_000, slidingPattern: 6, attnLogitSoftcapping: null, finalLogitSoftcapping: null };

const TANH_GELU = ['gelu_pytorch_tanh', 'gelu_new'];
const LAYER_TYPES = ['sliding_attention', 'full_attention'];

/** A Gemma 2 / Gemma 3 text config.json in the canonical names; what the engine cannot run is refused by name. */
export function readGemmaConfig(f: JsonFields, v: GemmaVersion): Omit<GemmaConfig, SharedConfigKey> {
  // transformers' Gemma configs default head_dim to 256 whatever the hidden size
  const shape = readDecoderShape(f, { maxPositions: v.maxPositions, tieWordEmbeddings: true, headDim: 256, activation: { field: 'hidden_activation', supported: TANH_GELU } });
  if (f.boolOr('use_bidirectional_attention', false)) f.fail('use_bidirectional_attention', 'bidirectional (encoder) attention is not supported: the engine builds causal decoders');
  return {
    family: 'gemma',
    version: v.version,
    ...shape,
    slidingWindow: 'sliding_window' in f.raw && f.raw.sliding_window === null ? null : f.countOr('sliding_window', 4096),
    slidingLayers: slidingLayers(f, shape.numLayers, v.slidingPattern),
    rmsNormEps: f.numberOr('rms_norm_eps', 1e-6),
    attentionBias: f.boolOr('attention_bias', false),
    queryPreAttnScalar: f.numberOr('query_pre_attn_scalar', 256),
    attnLogitSoftcapping: softcap(f, 'attn_logit_softcapping', v.attnLogitSoftcapping),
    finalLogitSoftcapping: softcap(f, 'final_logit_softcapping', v.finalLogitSoftcapping),
    ...ropes(f, v),
    qkNorm: v.version === 3,
  };
}

/** `layer_types` when given, else transformers' default alternation: layer i is global when (i + 1) % pattern == 0. */
function slidingLayers(f: JsonFields, numLayers: number, defaultPattern: number): boolean[] {
  const types = f.raw.layer_types;
  if (types === undefined || types === null) {
    const patternField = f.has('sliding_window_pattern') ? 'sliding_window_pattern' : '_sliding_window_pattern';
    const pattern = f.countOr(patternField, defaultPattern);
    return Array.from({ length: numLayers }, (_, i) => (i + 1) % pattern !== 0);
  }
  if (!Array.isArray(types) || types.length !== numLayers || !types.every((t) => LAYER_TYPES.includes(t as string))) {
    f.fail('layer_types', `must list ${numLayers} entries (num_hidden_layers), each ${LAYER_TYPES.join(' or ')}; got ${JSON.stringify(types)}`);
  }
  return types.map((t) => t === 'sliding_attention');
}

function softcap(f: JsonFields, field: string, fallback: number | null): number | null {
  if (!(field in f.raw)) return fallback;
  if (f.raw[field] === null) return null;
  const cap = f.numberOr(field, 0);
  if (!(cap > 0)) f.fail(field, `must be a positive number or null, got ${JSON.stringify(f.raw[field])}`);
  return cap;
}

/**
 * Global layers read rope_theta / rope_scaling; Gemma 3's sliding layers rope_local_base_freq without scaling.
 * transformers 5 writes both as `rope_parameters: { full_attention: {...}, sliding_attention: {...} }`.
 */
function ropes(f: JsonFields, v: GemmaVersion): { globalRope: RopeSettings; localRope: RopeSettings } {
  const params = f.raw.rope_parameters as Record<string, unknown> | null | undefined;
  if (params && typeof params === 'object' && LAYER_TYPES.some((t) => t in params)) {
    const of = (type: string, theta: number) => readRope(new JsonFields({ rope_parameters: params[type] ?? null }, f.file), theta);
    const globalRope = of('full_attention', v.ropeTheta);
    return { globalRope, localRope: v.version === 3 ? of('sliding_attention', 10000) : globalRope };
  }
  const globalRope = readRope(f, v.ropeTheta);
  return { globalRope, localRope: v.version === 3 ? { ropeTheta: f.numberOr('rope_local_base_freq', 10000), ropeScaling: null } : globalRope };
}
