import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bf16BitsToNumber, f16BitsToNumber, f32ToBf16, f32ToF16, saveModelDir } from '@aligntune/core';
import { publishDtypes, recordedDtype } from '../../core/src/models/save-dtype.js';
import { parseModelConfig, presetConfig } from './model-types.js';
import { tempDir } from './helpers.js';

/**
 * The narrowing a published bf16/fp16 model goes through, against a float64 reference of IEEE round-to-nearest-even:
 * the nearest value of the format, a tie to the even bit pattern, |x| past the largest finite value by half an ulp or
 * more to infinity (the reference treats infinity as the value one ulp past it), NaN to NaN.
 */
function referenceRound(format: { bits: (x: number) => number; infBits: number; infValue: number }, x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
  const a = Math.abs(x);
  const value = (bits: number) => (bits === format.infBits ? format.infValue : format.bits(bits));
  // largest pattern whose value is ≤ a (values grow with the pattern for non-negative numbers)
  let lo = 0;
  let hi = format.infBits;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (value(mid) <= a) lo = mid;
    else hi = mid - 1;
  }
  if (lo === format.infBits || value(lo) === a) return sign | lo;
  const below = a - value(lo); // exact in float64: both lie within one ulp of the narrow format
  const above = value(lo + 1) - a;
  const pick = below < above || (below === above && lo % 2 === 0) ? lo : lo + 1;
  return sign | pick;
}

const BF16 = { bits: bf16BitsToNumber, infBits: 0x7f80, infValue: 2 ** 128 };
const F16 = { bits: f16BitsToNumber, infBits: 0x7c00, infValue: 2 ** 16 };

/** float32 values that stress the rounding: ties and near-ties at every scale, subnormals, the overflow edge, ±0, ±inf, NaN. */
function edgeCases(): Float32Array {
  const values: number[] = [0, -0, Infinity, -Infinity, Number.NaN, 2 ** -149, -(2 ** -149), 2 ** -126, 3.4028234663852886e38, 65504, 65519, 65520, 65535, 6.1e-5, 5.96e-8];
  for (let e = -149; e <= 127; e++) {
    const p = 2 ** e;
    // halfway points between neighbours of both formats (mantissa 8 and 11 bits) and values one float32 ulp around them
    for (const bits of [8, 11]) for (const m of [1, 3, 5, 255]) values.push(p * (1 + m * 2 ** -bits), -p * (1 + m * 2 ** -bits));
  }
  const f = Float32Array.from(values);
  const bits = new Uint32Array(f.buffer);
  const out = new Uint32Array(bits.length * 3);
  for (let i = 0; i < bits.length; i++) out.set([bits[i]!, bits[i]! + 1, bits[i]! - 1], i * 3);
  return new Float32Array(out.buffer);
}

function randomPatterns(n: number): Float32Array {
  const bits = new Uint32Array(n);
  let state = 12345;
  for (let i = 0; i < n; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    bits[i] = state;
  }
  return new Float32Array(bits.buffer);
}

describe('round-to-nearest-even narrowing against a float64 reference', () => {
  for (const [label, narrow, format, decode] of [
    ['bf16', f32ToBf16, BF16, bf16BitsToNumber],
    ['fp16', f32ToF16, F16, f16BitsToNumber],
  ] as const) {
    it(`${label}: ties, subnormals, overflow, inf and NaN, and 20 000 random float32 patterns`, () => {
      for (const values of [edgeCases(), randomPatterns(20_000)]) {
        const got = narrow(values);
        for (let i = 0; i < values.length; i++) {
          const x = values[i]!;
          const want = referenceRound(format, x);
          if (Number.isNaN(want)) expect(decode(got[i]!), `${x}`).toBeNaN();
          else expect(got[i], `${x} (float32 bits ${new Uint32Array(values.buffer)[i]!.toString(16)})`).toBe(want);
        }
      }
    });
  }
});

describe('the published dtype', () => {
  it('auto follows config.json (torch_dtype, transformers v5 dtype, torch. prefix), float32 otherwise; LoRA adapters stay float32 unless named', () => {
    expect(recordedDtype({ torch_dtype: 'bfloat16' })).toBe('BF16');
    expect(recordedDtype({ dtype: 'float16' })).toBe('F16');
    expect(recordedDtype({ torch_dtype: 'torch.bfloat16' })).toBe('BF16');
    expect(recordedDtype({ torch_dtype: 'float64' })).toBe('F32');
    expect(recordedDtype({})).toBe('F32');
    expect(publishDtypes('auto', { torch_dtype: 'bfloat16' })).toEqual({ weights: 'BF16', adapter: 'F32' });
    expect(publishDtypes('float16', { torch_dtype: 'bfloat16' })).toEqual({ weights: 'F16', adapter: 'F16' });
    expect(publishDtypes('float32', { torch_dtype: 'float16' })).toEqual({ weights: 'F32', adapter: 'F32' });
  });

  it('saveModelDir records the dtype as torch_dtype, and as dtype where the source config used transformers v5 spelling', async () => {
    const preset = presetConfig('gpt2', 'tiny', { vocabSize: 64, bosTokenId: 1, eosTokenId: 2 });
    const write = async (raw: Record<string, unknown>) => {
      const dir = tempDir();
      await saveModelDir(dir, parseModelConfig(raw), { tensors: new Map(), dtype: 'BF16', generationConfig: null });
      return JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
    };
    expect(await write({ ...preset.raw, dtype: 'float32' })).toMatchObject({ torch_dtype: 'bfloat16', dtype: 'bfloat16' });
    expect(await write({ ...preset.raw })).not.toHaveProperty('dtype');
  });
});
