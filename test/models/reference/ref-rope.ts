/**
 * RoPE inverse frequencies and attention factor as transformers' `modeling_rope_utils.py` computes them
 * (`ROPE_INIT_FUNCTIONS[rope_type](config, device, seq_len)` plus `dynamic_rope_update`), from the raw
 * config.json dict, in float64. Written from the Python, not from core's rope.ts.
 */
export interface RefRope {
  readonly invFreq: Float64Array;
  readonly attentionFactor: number;
}

type Raw = Readonly<Record<string, unknown>>;

function ropeDict(config: Raw): Raw | null {
  return (config.rope_parameters ?? config.rope_scaling ?? null) as Raw | null;
}

function num(d: Raw | null, key: string): number | undefined {
  const v = d?.[key];
  return typeof v === 'number' ? v : undefined;
}

/** `dim = int(head_dim * partial_rotary_factor)`, head_dim = getattr(config, "head_dim", hidden // heads). */
export function refRotaryDim(config: Raw): number {
  const headDim = num(config, 'head_dim') ?? Math.floor((config.hidden_size as number) / (config.num_attention_heads as number));
  const partial = num(ropeDict(config), 'partial_rotary_factor') ?? num(config, 'partial_rotary_factor') ?? 1;
  return Math.floor(headDim * partial);
}

function defaultInvFreq(base: number, dim: number): Float64Array {
  const out = new Float64Array(dim / 2);
  for (let k = 0; k < dim; k += 2) out[k / 2] = 1 / base ** (k / dim);
  return out;
}

/**
 * The inverse frequencies a forward whose largest position id is `maxPosition` uses (seq_len = max + 1, as
 * dynamic_rope_update computes it), for a fresh module (no longer sequence seen before).
 */
export function refRope(config: Raw, maxPosition: number): RefRope {
  const rs = ropeDict(config);
  let type = (rs?.rope_type ?? rs?.type ?? 'default') as string;
  if (type === 'su') type = 'longrope';
  const base = num(rs, 'rope_theta') ?? num(config, 'rope_theta') ?? 10000;
  const dim = refRotaryDim(config);
  const maxPos = config.max_position_embeddings as number;
  const seqLen = maxPosition + 1;
  const inv = defaultInvFreq(base, dim);
  switch (type) {
    case 'default':
      return { invFreq: inv, attentionFactor: 1 };
    case 'linear':
      return { invFreq: inv.map((f) => f / (rs!.factor as number)), attentionFactor: 1 };
    case 'dynamic': {
      const factor = rs!.factor as number;
      const orig = num(rs, 'original_max_position_embeddings') ?? maxPos;
      if (seqLen <= orig) return { invFreq: inv, attentionFactor: 1 };
      const grown = base * ((factor * seqLen) / orig - (factor - 1)) ** (dim / (dim - 2));
      return { invFreq: defaultInvFreq(grown, dim), attentionFactor: 1 };
    }
    case 'llama3':
      return { invFreq: llama3(inv, rs!), attentionFactor: 1 };
    case 'yarn':
      return yarn(rs!, base, dim, maxPos);
    case 'longrope':
      return longrope(config, rs!, base, dim, maxPos, seqLen);
    default:
      throw new Error(`reference: rope type ${type}`);
  }
}

function llama3(inv: Float64Array, rs: Raw): Float64Array {
  const factor = rs.factor as number;
  const low = rs.low_freq_factor as number;
  const high = rs.high_freq_factor as number;
  const old = rs.original_max_position_embeddings as number;
  const lowWavelen = old / low;
  const highWavelen = old / high;
  return inv.map((f) => {
    const wavelen = (2 * Math.PI) / f;
    const scaled = wavelen > lowWavelen ? f / factor : f;
    const medium = !(wavelen < highWavelen) && !(wavelen > lowWavelen);
    if (!medium) return scaled;
    const smooth = (old / wavelen - low) / (high - low);
    return ((1 - smooth) * scaled) / factor + smooth * scaled;
  });
}

function yarn(rs: Raw, base: number, dim: number, maxPos: number): RefRope {
  const factor = rs.factor as number;
  const mscale = num(rs, 'mscale');
  const mscaleAllDim = num(rs, 'mscale_all_dim');
  const orig = num(rs, 'original_max_position_embeddings') || maxPos;
  const getMscale = (scale: number, m = 1) => (scale <= 1 ? 1 : 0.1 * m * Math.log(scale) + 1);
  let attentionFactor = num(rs, 'attention_factor');
  if (attentionFactor === undefined) attentionFactor = mscale && mscaleAllDim ? getMscale(factor, mscale) / getMscale(factor, mscaleAllDim) : getMscale(factor);
  const betaFast = num(rs, 'beta_fast') || 32;
  const betaSlow = num(rs, 'beta_slow') || 1;
  const findCorrectionDim = (rot: number) => (dim * Math.log(orig / (rot * 2 * Math.PI))) / (2 * Math.log(base));
  const truncate = rs.truncate === undefined ? true : (rs.truncate as boolean);
  let low = findCorrectionDim(betaFast);
  let high = findCorrectionDim(betaSlow);
  if (truncate) {
    low = Math.floor(low);
    high = Math.ceil(high);
  }
  low = Math.max(low, 0);
  high = Math.min(high, dim - 1);
  if (low === high) high += 0.001;
  const invFreq = new Float64Array(dim / 2);
  for (let i = 0; i < dim / 2; i++) {
    const posFreq = base ** ((2 * i) / dim);
    const extrapolation = 1 / posFreq;
    const interpolation = 1 / (factor * posFreq);
    const extrapolationFactor = 1 - Math.min(1, Math.max(0, (i - low) / (high - low)));
    invFreq[i] = interpolation * (1 - extrapolationFactor) + extrapolation * extrapolationFactor;
  }
  return { invFreq, attentionFactor };
}

function longrope(config: Raw, rs: Raw, base: number, dim: number, maxPos: number, seqLen: number): RefRope {
  let factor = num(rs, 'factor');
  let orig: number;
  const top = num(config, 'original_max_position_embeddings');
  if (top !== undefined) {
    orig = top;
    factor = maxPos / orig;
  } else {
    orig = num(rs, 'original_max_position_embeddings') ?? maxPos;
    if (num(rs, 'original_max_position_embeddings') !== undefined) factor = maxPos / orig;
  }
  let attentionFactor = num(rs, 'attention_factor');
  if (attentionFactor === undefined) attentionFactor = (factor ?? 1) <= 1 ? 1 : Math.sqrt(1 + Math.log(factor!) / Math.log(orig));
  const ext = (seqLen > orig ? rs.long_factor : rs.short_factor) as number[];
  const invFreq = new Float64Array(dim / 2);
  for (let i = 0; i < dim / 2; i++) invFreq[i] = 1 / (ext[i]! * base ** ((2 * i) / dim));
  return { invFreq, attentionFactor };
}

/**
 * transformers' apply_rotary_pos_emb on one head at `position`: the first rotary dims rotate by halves
 * (rotate_half), cos/sin scaled by the attention factor; the rest passes through (partial rotary).
 */
export function refApplyRope(x: ArrayLike<number>, position: number, rope: RefRope): Float64Array {
  const rot = rope.invFreq.length * 2;
  const half = rot / 2;
  const y = Float64Array.from(x);
  for (let i = 0; i < half; i++) {
    const angle = position * rope.invFreq[i]!;
    const c = Math.cos(angle) * rope.attentionFactor;
    const s = Math.sin(angle) * rope.attentionFactor;
    y[i] = x[i]! * c - x[i + half]! * s;
    y[i + half] = x[i + half]! * c + x[i]! * s;
  }
  return y;
}
