import { describe, expect, it } from 'vitest';
import { Graph, hostTensor, hostValues, JsonFields, readRope, ropeAttentionScaling, ropeInverseFrequencies, ropeRotaryDim, ropeTables } from '@aligntune/core';
import { refRope, refRotaryDim } from './reference/ref-rope.js';
import { runGraph } from './graph-helpers.js';

/** config.json fragments with the rope fields of real checkpoints (head sizes as published). */
const LLAMA31 = { hidden_size: 4096, num_attention_heads: 32, max_position_embeddings: 131072, rope_theta: 500000, rope_scaling: { factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 8192, rope_type: 'llama3' } };
const LLAMA32 = { hidden_size: 2048, num_attention_heads: 32, head_dim: 64, max_position_embeddings: 131072, rope_theta: 500000, rope_scaling: { factor: 32, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 8192, rope_type: 'llama3' } };
const QWEN25_YARN = { hidden_size: 3584, num_attention_heads: 28, max_position_embeddings: 32768, rope_theta: 1000000, rope_scaling: { type: 'yarn', factor: 4, original_max_position_embeddings: 32768 } };
const DEEPSEEK_YARN = { hidden_size: 1024, num_attention_heads: 16, head_dim: 64, max_position_embeddings: 163840, rope_theta: 10000, rope_scaling: { type: 'yarn', factor: 40, beta_fast: 32, beta_slow: 1, mscale: 1, mscale_all_dim: 1, original_max_position_embeddings: 4096 } };
const GPT_OSS_YARN = { hidden_size: 2880, num_attention_heads: 64, head_dim: 64, max_position_embeddings: 131072, rope_theta: 150000, rope_scaling: { rope_type: 'yarn', factor: 32, beta_fast: 32, beta_slow: 1, truncate: false, original_max_position_embeddings: 4096 } };
const DYNAMIC = { hidden_size: 512, num_attention_heads: 8, max_position_embeddings: 64, rope_theta: 10000, rope_scaling: { type: 'dynamic', factor: 2 } };
/** Phi-4-mini's shape: partial rotary 0.75 of head_dim 128 → 48 factors; long context 131072 over 4096. */
const factors = (n: number, from: number, to: number) => Array.from({ length: n }, (_, i) => from + ((to - from) * i) / (n - 1));
const PHI4_MINI = {
  hidden_size: 3072,
  num_attention_heads: 24,
  partial_rotary_factor: 0.75,
  max_position_embeddings: 131072,
  original_max_position_embeddings: 4096,
  rope_theta: 10000,
  rope_scaling: { type: 'longrope', short_factor: factors(48, 1, 3.2), long_factor: factors(48, 1, 60) },
};
const PHI3_SU = { hidden_size: 3072, num_attention_heads: 32, max_position_embeddings: 131072, original_max_position_embeddings: 4096, rope_theta: 10000, rope_scaling: { type: 'su', short_factor: factors(48, 1, 1.2), long_factor: factors(48, 1, 40) } };

const VARIANTS: Record<string, Record<string, unknown>> = {
  default: { hidden_size: 896, num_attention_heads: 14, rope_theta: 1000000, rope_scaling: null },
  'default (rope_parameters)': { hidden_size: 896, num_attention_heads: 14, rope_parameters: { rope_type: 'default', rope_theta: 1000000 } },
  linear: { hidden_size: 2048, num_attention_heads: 16, rope_theta: 10000, rope_scaling: { type: 'linear', factor: 4 } },
  'llama3 (3.1 8B)': LLAMA31,
  'llama3 (3.2 1B)': LLAMA32,
  'llama3 (rope_parameters)': { ...LLAMA32, rope_scaling: undefined, rope_theta: undefined, rope_parameters: { ...LLAMA32.rope_scaling, rope_theta: 500000 } },
  'yarn (Qwen2.5)': QWEN25_YARN,
  'yarn (mscale / mscale_all_dim)': DEEPSEEK_YARN,
  'yarn (mscale only, ignored as transformers does)': { ...DEEPSEEK_YARN, rope_scaling: { ...DEEPSEEK_YARN.rope_scaling, mscale: 0.707, mscale_all_dim: undefined } },
  'yarn (truncate false)': GPT_OSS_YARN,
  'yarn (attention_factor)': { ...QWEN25_YARN, rope_scaling: { ...QWEN25_YARN.rope_scaling, attention_factor: 1.25, beta_fast: 16, beta_slow: 2 } },
  'dynamic (within the original length)': DYNAMIC,
  'longrope (Phi-4-mini, partial rotary)': PHI4_MINI,
  'longrope ("su", Phi-3)': PHI3_SU,
  'longrope (factor, no original length)': { ...PHI3_SU, original_max_position_embeddings: undefined, rope_scaling: { ...PHI3_SU.rope_scaling, factor: 8 } },
};

function read(raw: Record<string, unknown>) {
  return readRope(new JsonFields(JSON.parse(JSON.stringify(raw)) as Record<string, unknown>, 'config.json'));
}

function maxRel(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!) / Math.max(Math.abs(b[i]!), 1e-30));
  return m;
}

describe('RoPE variants: inverse frequencies equal transformers (float64 reference)', () => {
  for (const [name, raw] of Object.entries(VARIANTS)) {
    it(name, () => {
      const json = JSON.parse(JSON.stringify(raw)) as Record<string, unknown>;
      const rope = read(json);
      const dim = ropeRotaryDim(rope, (json.head_dim as number | undefined) ?? (json.hidden_size as number) / (json.num_attention_heads as number));
      expect(dim).toBe(refRotaryDim(json));
      const ref = refRope(json, 0);
      const got = ropeInverseFrequencies(rope, dim);
      expect(got).toHaveLength(ref.invFreq.length);
      expect(maxRel(got, ref.invFreq)).toBeLessThan(1e-12);
      expect(ropeAttentionScaling(rope)).toBeCloseTo(ref.attentionFactor, 12);
    });
  }

  it('each scaling changes the frequencies it should (the fixtures are not all default)', () => {
    const plain = (raw: Record<string, unknown>) => refRope({ ...raw, rope_scaling: null }, 0).invFreq;
    for (const name of ['linear', 'llama3 (3.1 8B)', 'yarn (Qwen2.5)', 'longrope (Phi-4-mini, partial rotary)']) {
      expect(maxRel(refRope(VARIANTS[name]!, 0).invFreq, plain(VARIANTS[name]!)), name).toBeGreaterThan(0.1);
    }
    // llama3 keeps the high frequencies and divides the low ones by the factor
    const l = refRope(LLAMA31, 0).invFreq;
    const p = plain(LLAMA31);
    expect(l[0]).toBe(p[0]);
    expect(l[63]! * 8).toBeCloseTo(p[63]!, 15);
    expect(refRope(DEEPSEEK_YARN, 0).attentionFactor).toBe(1); // mscale = mscale_all_dim: the ratio is 1
    expect(refRope(QWEN25_YARN, 0).attentionFactor).toBeCloseTo(0.1 * Math.log(4) + 1, 15);
    expect(refRope(PHI4_MINI, 0).attentionFactor).toBeCloseTo(Math.sqrt(1 + Math.log(32) / Math.log(4096)), 15);
  });
});

describe('RoPE tables in the graph, including the length-dependent types', () => {
  /** cos and sin of the graph for positions [1, n] (largest n − 1) against the reference at that length. */
  async function check(raw: Record<string, unknown>, n: number): Promise<void> {
    const rope = read(raw);
    const headDim = (raw.hidden_size as number) / (raw.num_attention_heads as number);
    const g = new Graph('rope');
    const pos = g.input('position_ids', 'int64', [1, 'seq']);
    const { cos, sin } = ropeTables(g, rope, headDim, pos, 'float32');
    const positions = Array.from({ length: n }, (_, i) => i);
    const out = await runGraph(g, { cos, sin }, { position_ids: hostTensor('int64', [1, n], positions) });
    const ref = refRope(raw, n - 1);
    const half = ref.invFreq.length;
    const gotCos = hostValues(out.cos!);
    const gotSin = hostValues(out.sin!);
    let worst = 0;
    for (const t of positions) {
      for (let i = 0; i < 2 * half; i++) {
        const angle = t * ref.invFreq[i % half]!;
        worst = Math.max(worst, Math.abs(gotCos[t * 2 * half + i]! - Math.cos(angle) * ref.attentionFactor), Math.abs(gotSin[t * 2 * half + i]! - Math.sin(angle) * ref.attentionFactor));
      }
    }
    expect(worst).toBeLessThan(1e-4);
  }

  const SMALL_LONGROPE = { hidden_size: 64, num_attention_heads: 4, partial_rotary_factor: 0.5, max_position_embeddings: 64, original_max_position_embeddings: 16, rope_theta: 10000, rope_scaling: { type: 'longrope', short_factor: [1, 1.5, 2, 3], long_factor: [1, 4, 9, 20] } };

  it('longrope: short factors up to original_max_position_embeddings, long factors past it (max position id of the forward)', async () => {
    await check(SMALL_LONGROPE, 16);
    await check(SMALL_LONGROPE, 17);
    expect(maxRel(refRope(SMALL_LONGROPE, 16).invFreq, refRope(SMALL_LONGROPE, 15).invFreq)).toBeGreaterThan(0.5);
  });

  it('dynamic NTK: default frequencies up to max_position_embeddings, a base grown with the length past it', async () => {
    const small = { ...DYNAMIC, hidden_size: 64, num_attention_heads: 4, max_position_embeddings: 8 };
    await check(small, 8);
    await check(small, 20);
    expect(maxRel(refRope(small, 19).invFreq, refRope(small, 7).invFreq)).toBeGreaterThan(0.1);
  });

  it('yarn and llama3: fixed frequencies, YaRN scales cos and sin', async () => {
    await check({ ...QWEN25_YARN, hidden_size: 64, num_attention_heads: 4, max_position_embeddings: 64, rope_scaling: { type: 'yarn', factor: 4, original_max_position_embeddings: 32 } }, 12);
    await check({ ...LLAMA31, hidden_size: 128, num_attention_heads: 4, rope_scaling: { ...LLAMA31.rope_scaling, original_max_position_embeddings: 64 } }, 12);
  });
});

describe('RoPE field errors name the field', () => {
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ['unknown type', { ...LLAMA31, rope_scaling: { rope_type: 'ntk-by-parts', factor: 2 } }, /field "rope_scaling.rope_type": rope type "ntk-by-parts" is not supported \(supported: default, linear, dynamic, llama3, yarn, longrope\)/],
    ['llama3 without low_freq_factor', { ...LLAMA31, rope_scaling: { ...LLAMA31.rope_scaling, low_freq_factor: undefined } }, /field "rope_scaling.low_freq_factor": must be a positive number, got undefined/],
    ['llama3 band order', { ...LLAMA31, rope_scaling: { ...LLAMA31.rope_scaling, high_freq_factor: 1 } }, /field "rope_scaling.high_freq_factor": must exceed low_freq_factor \(1\), got 1/],
    ['llama3 without the original length', { ...LLAMA31, rope_scaling: { ...LLAMA31.rope_scaling, original_max_position_embeddings: undefined } }, /field "rope_scaling.original_max_position_embeddings": is required but missing/],
    ['a key the type does not read', { ...LLAMA31, rope_scaling: { ...LLAMA31.rope_scaling, beta_fast: 32 } }, /field "rope_scaling.beta_fast": is not read by rope type "llama3" \(it reads: factor, low_freq_factor, high_freq_factor, original_max_position_embeddings\)/],
    ['yarn factor', { ...QWEN25_YARN, rope_scaling: { type: 'yarn', factor: -1 } }, /field "rope_scaling.factor": must be a positive number, got -1/],
    ['yarn truncate', { ...QWEN25_YARN, rope_scaling: { type: 'yarn', factor: 4, truncate: 'no' } }, /field "rope_scaling.truncate": must be true or false/],
    ['longrope factor count', { ...PHI4_MINI, rope_scaling: { ...PHI4_MINI.rope_scaling, short_factor: [1, 2] } }, /field "rope_scaling.short_factor": has 2 entries, expected rotary dim \/ 2 = 48/],
    ['longrope factors missing', { ...PHI4_MINI, rope_scaling: { type: 'longrope', short_factor: factors(48, 1, 2) } }, /field "rope_scaling.long_factor": must be a list of positive numbers, got undefined/],
    ['dynamic without max_position_embeddings', { ...DYNAMIC, max_position_embeddings: undefined }, /field "max_position_embeddings": is required but missing/],
    ['partial_rotary_factor', { ...PHI4_MINI, partial_rotary_factor: 1.5 }, /field "partial_rotary_factor": must be in \(0, 1\], got 1.5/],
    ['rope_parameters key', { ...LLAMA32, rope_scaling: undefined, rope_parameters: { rope_type: 'linear', factor: 2, low_freq_factor: 1 } }, /field "rope_parameters.low_freq_factor": is not read by rope type "linear"/],
  ];
  for (const [name, raw, message] of cases) {
    it(name, () => {
      expect(() => read(raw)).toThrow(message);
      try {
        read(raw);
      } catch (error) {
        expect((error as { exitCode?: number }).exitCode).toBe(2);
      }
    });
  }
});
