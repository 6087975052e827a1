import type { HfModelConfig } from './hf-model-config.js';
import type { JsonFields } from './json-fields.js';
import type { PresetDims } from './model-type.js';
import { linearSpecs, normSpecs, tensorSpec, type TensorSpec } from './tensor-layout.js';

/** The sizes every decoder config has, in HfModelConfig's names. */
export type DecoderShape = Pick<
  HfModelConfig,
  'vocabSize' | 'hiddenSize' | 'numLayers' | 'numHeads' | 'numKvHeads' | 'headDim' | 'intermediateSize' | 'maxPositionEmbeddings' | 'tieWordEmbeddings' | 'initializerRange'
>;

/**
 * The shape of a pre-norm Llama-lineage decoder (Llama, Mistral, Qwen, Phi-3, SmolLM3): RMSNorm → self-attention →
 * RMSNorm → gated MLP per layer, in transformers' module names (`embed_tokens`, `layers.N.self_attn.q_proj`,
 * `input_layernorm`, `post_attention_layernorm`, `mlp.gate_proj`, `norm`). What a family varies is a field here.
 */
export interface PreNormDecoderLayout extends Pick<DecoderShape, 'vocabSize' | 'hiddenSize' | 'numLayers' | 'numHeads' | 'numKvHeads' | 'headDim' | 'intermediateSize'> {
  readonly qkvBias: boolean;
  readonly outBias: boolean;
  readonly mlpBias: boolean;
  /** RMSNorm of queries and keys: per head (Qwen3) or over the whole projection (OLMo 2). */
  readonly qkNorm?: 'head' | 'projection';
  /** One `self_attn.qkv_proj` (rows q | k | v) instead of q/k/v_proj (Phi-3). */
  readonly fusedQkv?: boolean;
  /** One `mlp.gate_up_proj` (rows gate | up) instead of gate/up_proj (Phi-3). */
  readonly fusedMlp?: boolean;
}

/** What a model type's config.json omits, as its transformers config class defaults it, and how it spells its MLP activation. */
export interface DecoderShapeDefaults {
  readonly maxPositions: number;
  readonly tieWordEmbeddings: boolean;
  /** num_key_value_heads when absent; the number of heads (no GQA) when unset. */
  readonly numKvHeads?: number;
  /** head_dim when absent (Gemma: 256 whatever the hidden size); hidden / heads when unset. */
  readonly headDim?: number;
  /** The config class has no head_dim field (OLMo 2): always hidden / heads. */
  readonly noHeadDimField?: boolean;
  /** The activation's field and what the engine builds for it (default `hidden_act`, SiLU only); the first is the default. */
  readonly activation?: { readonly field: string; readonly supported: readonly string[] };
}

const SILU = { field: 'hidden_act', supported: ['silu'] } as const;

/**
 * A decoder's config.json sizes (`hidden_size`, `num_attention_heads`, `num_key_value_heads`, `head_dim` or
 * hidden/heads, ...) and its MLP activation, refusing what the shared blocks cannot build, naming the field.
 */
export function readDecoderShape(f: JsonFields, defaults: DecoderShapeDefaults): DecoderShape {
  const hiddenSize = f.count('hidden_size');
  const numHeads = f.count('num_attention_heads');
  const numKvHeads = f.countOr('num_key_value_heads', defaults.numKvHeads ?? numHeads);
  if (numHeads % numKvHeads !== 0) f.fail('num_key_value_heads', `${numKvHeads} does not divide num_attention_heads ${numHeads}`);
  const headDim = readHeadDim(f, defaults, hiddenSize, numHeads);
  const activation = defaults.activation ?? SILU;
  const act = f.stringOr(activation.field, activation.supported[0]!);
  if (!activation.supported.includes(act)) f.fail(activation.field, `"${act}" is not supported (supported: ${activation.supported.join(', ')})`);
  return {
    vocabSize: f.count('vocab_size'),
    hiddenSize,
    numLayers: f.count('num_hidden_layers'),
    numHeads,
    numKvHeads,
    headDim,
    intermediateSize: f.count('intermediate_size'),
    maxPositionEmbeddings: f.countOr('max_position_embeddings', defaults.maxPositions),
    tieWordEmbeddings: f.boolOr('tie_word_embeddings', defaults.tieWordEmbeddings),
    initializerRange: f.numberOr('initializer_range', 0.02),
  };
}

/** head_dim, its default, or hidden / heads; even, since RoPE rotates pairs. */
function readHeadDim(f: JsonFields, defaults: DecoderShapeDefaults, hiddenSize: number, numHeads: number): number {
  const given = !defaults.noHeadDimField && f.has('head_dim');
  if (!given && defaults.headDim === undefined && hiddenSize % numHeads !== 0) f.fail('num_attention_heads', `hidden_size ${hiddenSize} is not divisible by ${numHeads}`);
  const headDim = given ? f.count('head_dim') : (defaults.headDim ?? hiddenSize / numHeads);
  if (headDim % 2 !== 0) f.fail(given ? 'head_dim' : 'num_attention_heads', `${headDim} must be even for rotary embeddings`);
  return headDim;
}

/**
 * The config.json fields every decoder's `model init` preset shares (sizes, the activation, token ids; dropout-free
 * float32); `activation` is the family's activation field (Gemma's `hidden_activation`).
 */
export function decoderPresetFields(d: PresetDims, activation: Readonly<Record<string, string>> = { hidden_act: 'silu' }): Record<string, unknown> {
  return {
    vocab_size: d.vocabSize,
    hidden_size: d.hidden,
    intermediate_size: d.intermediate,
    num_hidden_layers: d.layers,
    num_attention_heads: d.heads,
    num_key_value_heads: d.kvHeads,
    ...activation,
    max_position_embeddings: d.positions,
    initializer_range: 0.02,
    attention_dropout: 0,
    ...d.tokenIds,
    torch_dtype: 'float32',
  };
}

/** A pre-norm decoder's tensors under `prefix` (`model.`), in module order; core adds the head. */
export function preNormDecoderSpecs(c: PreNormDecoderLayout, p: string): TensorSpec[] {
  const out = [tensorSpec(`${p}embed_tokens.weight`, 'embed.tokens', [c.vocabSize, c.hiddenSize], 'embedding')];
  for (let i = 0; i < c.numLayers; i++) {
    const hf = `${p}layers.${i}`;
    const cn = `layers.${i}`;
    out.push(
      ...normSpecs(`${hf}.input_layernorm`, `${cn}.norm1`, c.hiddenSize, false),
      ...selfAttentionSpecs(c, `${hf}.self_attn`, `${cn}.attn`),
      ...normSpecs(`${hf}.post_attention_layernorm`, `${cn}.norm2`, c.hiddenSize, false),
      ...gatedMlpSpecs(c, `${hf}.mlp`, `${cn}.mlp`),
    );
  }
  out.push(...normSpecs(`${p}norm`, 'final_norm', c.hiddenSize, false));
  return out;
}

/** q/k/v/o (or qkv/o) projections and the optional q/k norms, as `selfAttention` reads them. */
export function selfAttentionSpecs(c: PreNormDecoderLayout, hf: string, cn: string): TensorSpec[] {
  const h = c.hiddenSize;
  const qDim = c.numHeads * c.headDim;
  const kvDim = c.numKvHeads * c.headDim;
  const out = c.fusedQkv
    ? linearSpecs(`${hf}.qkv_proj`, `${cn}.qkv`, h, qDim + 2 * kvDim, c.qkvBias)
    : [...linearSpecs(`${hf}.q_proj`, `${cn}.q`, h, qDim, c.qkvBias), ...linearSpecs(`${hf}.k_proj`, `${cn}.k`, h, kvDim, c.qkvBias), ...linearSpecs(`${hf}.v_proj`, `${cn}.v`, h, kvDim, c.qkvBias)];
  out.push(...linearSpecs(`${hf}.o_proj`, `${cn}.out`, qDim, h, c.outBias));
  if (c.qkNorm) {
    const [qSize, kSize] = c.qkNorm === 'head' ? [c.headDim, c.headDim] : [qDim, kvDim];
    out.push(...normSpecs(`${hf}.q_norm`, `${cn}.q_norm`, qSize, false), ...normSpecs(`${hf}.k_norm`, `${cn}.k_norm`, kSize, false));
  }
  return out;
}

/** gate/up/down (or gate_up/down) projections, as `gatedMlp` reads them. */
export function gatedMlpSpecs(c: PreNormDecoderLayout, hf: string, cn: string): TensorSpec[] {
  const { hiddenSize: h, intermediateSize: n, mlpBias: bias } = c;
  const gateUp = c.fusedMlp ? linearSpecs(`${hf}.gate_up_proj`, `${cn}.gate_up`, h, 2 * n, bias) : [...linearSpecs(`${hf}.gate_proj`, `${cn}.gate`, h, n, bias), ...linearSpecs(`${hf}.up_proj`, `${cn}.up`, h, n, bias)];
  return [...gateUp, ...linearSpecs(`${hf}.down_proj`, `${cn}.down`, n, h, bias)];
}
