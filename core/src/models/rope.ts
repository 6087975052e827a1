import { JsonFields } from './json-fields.js';

/**
 * How a model scales rotary position embeddings (config.json's `rope_scaling`, or transformers 5's
 * `rope_parameters`), read as transformers' `modeling_rope_utils.py` reads it. Every architecture that uses
 * RoPE reads it through `readRope` and builds its tables through `ropeTables` (or `ropeInverseFrequencies`),
 * so a scaling type added here serves every family.
 *
 * `dynamic` and `longrope` depend on the sequence length: the graph picks their frequencies from the largest
 * position id of each forward (see `ropeTables`), as transformers' `dynamic_rope_update` does.
 */
export type RopeScaling =
  | { readonly type: 'linear'; /** Positions are divided by this factor (inv_freq / factor). */ readonly factor: number }
  | {
      readonly type: 'dynamic';
      readonly factor: number;
      /** Up to this length the frequencies are the default ones; past it the base grows with the length. */
      readonly originalMaxPositions: number;
    }
  | {
      readonly type: 'llama3';
      readonly factor: number;
      readonly lowFreqFactor: number;
      readonly highFreqFactor: number;
      readonly originalMaxPositions: number;
    }
  | {
      readonly type: 'yarn';
      readonly factor: number;
      readonly originalMaxPositions: number;
      readonly betaFast: number;
      readonly betaSlow: number;
      /** Round the correction range to whole dimensions (transformers' default). */
      readonly truncate: boolean;
      /** Multiplies cos and sin (mscale). */
      readonly attentionFactor: number;
    }
  | {
      readonly type: 'longrope';
      /** Per-frequency divisors for sequences up to originalMaxPositions, and past it. */
      readonly shortFactor: readonly number[];
      readonly longFactor: readonly number[];
      readonly originalMaxPositions: number;
      readonly attentionFactor: number;
    };

/** RoPE's base θ and scaling, as one model (or one kind of layer) uses them. */
export interface RopeSettings {
  readonly ropeTheta: number;
  readonly ropeScaling: RopeScaling | null;
  /** The fraction of each head that rotates (`partial_rotary_factor`, Phi-4-mini's 0.75); 1 when absent. */
  readonly partialRotaryFactor?: number;
}

/** The keys each rope type reads besides `type`/`rope_type`/`rope_theta`/`partial_rotary_factor`; any other key is refused. */
const TYPE_KEYS: Readonly<Record<RopeScaling['type'] | 'default', readonly string[]>> = {
  default: [],
  linear: ['factor'],
  dynamic: ['factor', 'original_max_position_embeddings'],
  llama3: ['factor', 'low_freq_factor', 'high_freq_factor', 'original_max_position_embeddings'],
  yarn: ['factor', 'original_max_position_embeddings', 'beta_fast', 'beta_slow', 'mscale', 'mscale_all_dim', 'attention_factor', 'truncate'],
  longrope: ['short_factor', 'long_factor', 'factor', 'original_max_position_embeddings', 'attention_factor'],
};
const COMMON_KEYS = ['type', 'rope_type', 'rope_theta', 'partial_rotary_factor'];

/** The fields of the rope object, with errors naming `rope_scaling.<key>`. */
class RopeFields extends JsonFields {
  constructor(
    raw: Record<string, unknown>,
    private readonly parent: JsonFields,
    private readonly field: string,
  ) {
    super(raw, parent.file);
  }

  override fail(key: string | undefined, detail: string): never {
    return this.parent.fail(key === undefined ? this.field : `${this.field}.${key}`, detail);
  }

  positive(key: string): number {
    const v = this.raw[key];
    if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v)) this.fail(key, `must be a positive number, got ${JSON.stringify(v)}`);
    return v;
  }

  positiveOr(key: string, fallback: number): number {
    return this.has(key) ? this.positive(key) : fallback;
  }

  factors(key: string, length: number | undefined): number[] {
    const v = this.raw[key];
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'number' && x > 0)) this.fail(key, `must be a list of positive numbers, got ${JSON.stringify(v)}`);
    if (length !== undefined && v.length !== length) this.fail(key, `has ${v.length} entries, expected rotary dim / 2 = ${length}`);
    return v as number[];
  }
}

/**
 * RoPE parameters from transformers 4.x fields (`rope_theta`, `rope_scaling`, `partial_rotary_factor`) or 5.x
 * `rope_parameters` (which carries rope_theta and partial_rotary_factor itself). `defaultMaxPositions` is the
 * model type's max_position_embeddings when config.json has none. What the engine cannot compute is refused
 * naming the field, and so is a key the rope type does not read.
 */
export function readRope(f: JsonFields, defaultTheta = 10000, defaultMaxPositions?: number): RopeSettings {
  const field = f.has('rope_parameters') ? 'rope_parameters' : 'rope_scaling';
  const params = f.raw[field];
  let ropeTheta = f.numberOr('rope_theta', defaultTheta);
  let partialRotaryFactor = partialFactor(f, f.numberOr('partial_rotary_factor', 1));
  const settings = () => ({ ropeTheta, ropeScaling: null, ...(partialRotaryFactor === 1 ? {} : { partialRotaryFactor }) });
  if (params === undefined || params === null) return settings();
  if (typeof params !== 'object' || Array.isArray(params)) f.fail(field, `must be an object or null, got ${JSON.stringify(params)}`);
  const p = new RopeFields(params as Record<string, unknown>, f, field);
  if (p.has('rope_theta')) ropeTheta = p.numberOr('rope_theta', ropeTheta);
  if (p.has('partial_rotary_factor')) partialRotaryFactor = partialFactor(p, p.numberOr('partial_rotary_factor', 1));
  const type = ropeType(p);
  const unknown = Object.keys(p.raw).find((k) => !COMMON_KEYS.includes(k) && !TYPE_KEYS[type].includes(k));
  if (unknown !== undefined) p.fail(unknown, `is not read by rope type "${type}" (it reads: ${TYPE_KEYS[type].join(', ') || 'nothing'})`);
  if (type === 'default') return settings();
  const maxPositions = () => (defaultMaxPositions === undefined ? f.count('max_position_embeddings') : f.countOr('max_position_embeddings', defaultMaxPositions));
  const rotaryHalf = rotaryHalfOf(f, partialRotaryFactor);
  return { ...settings(), ropeScaling: readScaling(f, p, type, maxPositions, rotaryHalf) };
}

function partialFactor(f: JsonFields, v: number): number {
  if (!(v > 0 && v <= 1)) f.fail('partial_rotary_factor', `must be in (0, 1], got ${v}`);
  return v;
}

function ropeType(p: RopeFields): RopeScaling['type'] | 'default' {
  const key = p.has('rope_type') ? 'rope_type' : 'type';
  const type = p.raw[key];
  if (type === undefined || type === 'default') return 'default';
  if (type === 'su') return 'longrope'; // Phi-3's first checkpoints; transformers renames it
  if (typeof type !== 'string' || !Object.hasOwn(TYPE_KEYS, type)) p.fail(key, `rope type ${JSON.stringify(type)} is not supported (supported: ${Object.keys(TYPE_KEYS).join(', ')})`);
  return type as RopeScaling['type'];
}

/** rotary dim / 2 when config.json says head_dim (or hidden_size and num_attention_heads), as transformers derives it. */
function rotaryHalfOf(f: JsonFields, partialRotaryFactor: number): number | undefined {
  const { head_dim: headDim, hidden_size: hidden, num_attention_heads: heads } = f.raw;
  const d = typeof headDim === 'number' ? headDim : typeof hidden === 'number' && typeof heads === 'number' ? Math.floor(hidden / heads) : undefined;
  return d === undefined ? undefined : Math.floor(Math.floor(d * partialRotaryFactor) / 2);
}

function readScaling(f: JsonFields, p: RopeFields, type: RopeScaling['type'], maxPositions: () => number, rotaryHalf: number | undefined): RopeScaling {
  switch (type) {
    case 'linear':
      return { type, factor: p.positive('factor') };
    case 'dynamic':
      return { type, factor: p.positive('factor'), originalMaxPositions: p.has('original_max_position_embeddings') ? p.count('original_max_position_embeddings') : maxPositions() };
    case 'llama3': {
      const lowFreqFactor = p.positive('low_freq_factor');
      const highFreqFactor = p.positive('high_freq_factor');
      if (highFreqFactor <= lowFreqFactor) p.fail('high_freq_factor', `must exceed low_freq_factor (${lowFreqFactor}), got ${highFreqFactor}`);
      return { type, factor: p.positive('factor'), lowFreqFactor, highFreqFactor, originalMaxPositions: p.count('original_max_position_embeddings') };
    }
    case 'yarn':
      return readYarn(p, maxPositions);
    case 'longrope':
      return readLongRope(f, p, maxPositions, rotaryHalf);
  }
}

/** YaRN's mscale: 1 up to factor 1, then 0.1·mscale·ln(factor) + 1. */
function yarnMscale(factor: number, mscale = 1): number {
  return factor <= 1 ? 1 : 0.1 * mscale * Math.log(factor) + 1;
}

function readYarn(p: RopeFields, maxPositions: () => number): RopeScaling {
  const factor = p.positive('factor');
  const mscale = p.numberOr('mscale', 0);
  const mscaleAllDim = p.numberOr('mscale_all_dim', 0);
  // transformers takes the mscale ratio only when both are set (DeepSeek), else mscale(factor).
  const defaultAttention = mscale && mscaleAllDim ? yarnMscale(factor, mscale) / yarnMscale(factor, mscaleAllDim) : yarnMscale(factor);
  return {
    type: 'yarn',
    factor,
    originalMaxPositions: p.has('original_max_position_embeddings') ? p.count('original_max_position_embeddings') : maxPositions(),
    betaFast: p.positiveOr('beta_fast', 32),
    betaSlow: p.positiveOr('beta_slow', 1),
    truncate: p.boolOr('truncate', true),
    attentionFactor: p.positiveOr('attention_factor', defaultAttention),
  };
}

/**
 * LongRoPE as Phi-3 configures it: the pretrained length is config.json's top-level
 * `original_max_position_embeddings` (then factor = max_position_embeddings / it), else the rope object's, else
 * max_position_embeddings with the rope object's `factor`; the attention factor defaults to
 * √(1 + ln(factor) / ln(original)) when factor > 1.
 */
function readLongRope(f: JsonFields, p: RopeFields, maxPositions: () => number, rotaryHalf: number | undefined): RopeScaling {
  const shortFactor = p.factors('short_factor', rotaryHalf);
  const longFactor = p.factors('long_factor', rotaryHalf);
  let originalMaxPositions: number;
  let factor: number;
  if (f.has('original_max_position_embeddings') || p.has('original_max_position_embeddings')) {
    originalMaxPositions = f.has('original_max_position_embeddings') ? f.count('original_max_position_embeddings') : p.count('original_max_position_embeddings');
    factor = maxPositions() / originalMaxPositions;
  } else {
    originalMaxPositions = maxPositions();
    factor = p.positiveOr('factor', 1);
  }
  const defaultAttention = factor <= 1 ? 1 : Math.sqrt(1 + Math.log(factor) / Math.log(originalMaxPositions));
  return { type: 'longrope', shortFactor, longFactor, originalMaxPositions, attentionFactor: p.positiveOr('attention_factor', defaultAttention) };
}

/** The number of dimensions of each head that rotate: ⌊head_dim · partial_rotary_factor⌋ (transformers' int()). */
export function ropeRotaryDim(rope: RopeSettings, headDim: number): number {
  return Math.floor(headDim * (rope.partialRotaryFactor ?? 1));
}

/** What multiplies cos and sin: YaRN's and LongRoPE's attention factor, 1 otherwise. */
export function ropeAttentionScaling(rope: RopeSettings): number {
  const s = rope.ropeScaling;
  return s?.type === 'yarn' || s?.type === 'longrope' ? s.attentionFactor : 1;
}

/**
 * HF's inv_freq over `rotaryDim` dimensions, 1 / θ^(2i/rotaryDim), rescaled by the scaling type. For the
 * length-dependent types these are the frequencies up to the original length (dynamic: the default ones;
 * longrope: the short factors); `longRopeInverseFrequencies` gives LongRoPE's long ones.
 */
export function ropeInverseFrequencies(rope: RopeSettings, rotaryDim: number): number[] {
  const base = Array.from({ length: rotaryDim / 2 }, (_, i) => 1 / rope.ropeTheta ** ((2 * i) / rotaryDim));
  const s = rope.ropeScaling;
  switch (s?.type) {
    case undefined:
    case 'dynamic':
      return base;
    case 'linear':
      return base.map((f) => f / s.factor);
    case 'llama3':
      return base.map((f) => llama3Frequency(f, s));
    case 'yarn':
      return yarnFrequencies(base, s, rope.ropeTheta, rotaryDim);
    case 'longrope':
      return base.map((f, i) => f / s.shortFactor[i]!);
  }
}

/** LongRoPE's frequencies past the original length (long factors). */
export function longRopeInverseFrequencies(rope: RopeSettings, scaling: Extract<RopeScaling, { type: 'longrope' }>, rotaryDim: number): number[] {
  return Array.from({ length: rotaryDim / 2 }, (_, i) => 1 / (scaling.longFactor[i]! * rope.ropeTheta ** ((2 * i) / rotaryDim)));
}

/** Llama 3.1: long wavelengths divided by the factor, short ones kept, a smooth blend between the two bands. */
function llama3Frequency(f: number, s: Extract<RopeScaling, { type: 'llama3' }>): number {
  const wavelength = (2 * Math.PI) / f;
  if (wavelength < s.originalMaxPositions / s.highFreqFactor) return f;
  if (wavelength > s.originalMaxPositions / s.lowFreqFactor) return f / s.factor;
  const smooth = (s.originalMaxPositions / wavelength - s.lowFreqFactor) / (s.highFreqFactor - s.lowFreqFactor);
  return (1 - smooth) * (f / s.factor) + smooth * f;
}

/** YaRN: interpolated (÷ factor) below the correction range, extrapolated (kept) above it, a linear ramp across it. */
function yarnFrequencies(base: readonly number[], s: Extract<RopeScaling, { type: 'yarn' }>, theta: number, dim: number): number[] {
  const correctionDim = (rotations: number) => (dim * Math.log(s.originalMaxPositions / (rotations * 2 * Math.PI))) / (2 * Math.log(theta));
  let low = correctionDim(s.betaFast);
  let high = correctionDim(s.betaSlow);
  if (s.truncate) [low, high] = [Math.floor(low), Math.ceil(high)];
  [low, high] = [Math.max(low, 0), Math.min(high, dim - 1)];
  if (low === high) high += 0.001; // transformers' guard against a zero-width ramp
  return base.map((f, i) => {
    const ramp = Math.min(1, Math.max(0, (i - low) / (high - low)));
    return (f / s.factor) * ramp + f * (1 - ramp);
  });
}
