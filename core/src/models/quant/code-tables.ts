import type { QuantFormat } from '../../config/quantization-config.js';

/**
 * The 4- and 8-bit codes of blockwise quantization: a code indexes a level in [-1, 1], and a weight is
 * level × its block's absmax. NF4 and FP4 are bitsandbytes' levels (csrc/kernels.cu, dDequantizeNF4 and
 * dDequantizeFP4Tree, whose values are what bitsandbytes actually computes with); int4 and int8 are linear.
 */

/** NF4 (QLoRA's normal float): the 16 levels by code, as float32 values. */
const NF4 = [
  -1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453, -0.28444138169288635, -0.18477343022823334, -0.09105003625154495, 0.0,
  0.07958029955625534, 0.16093020141124725, 0.24611230194568634, 0.33791524171829224, 0.44070982933044434, 0.5626170039176941, 0.7229568362236023, 1.0,
];

/** FP4 (E2M1, bitsandbytes' tree): magnitude by the low three bits; bit 3 is the sign. */
const FP4_MAGNITUDE = [0, 0.005208333333, 0.66666667, 1.0, 0.33333333, 0.5, 0.16666667, 0.25];

export interface CodeTable {
  /** Bits per code: 4 (two codes a byte, the first in the high nibble, as bitsandbytes packs) or 8. */
  readonly bits: 4 | 8;
  /** The level of each code, rounded to float32 (what the graph's table holds). */
  readonly levels: Float32Array;
  /** The code of a normalised value x ∈ [-1, 1]. */
  quantize(x: number): number;
}

function table(levels: readonly number[]): Float32Array {
  return Float32Array.from(levels);
}

/**
 * The code of the level nearest to x among `levels` (by code): the number of midpoints between ascending levels
 * that lie strictly below x picks the level, so a value exactly between two levels takes the lower one, as
 * bitsandbytes' thresholds do. Binary search: quantizing a model visits every weight.
 */
function nearestCode(levels: Float32Array): (x: number) => number {
  const order = [...levels.keys()].sort((a, b) => levels[a]! - levels[b]! || a - b);
  const mids = order.slice(1).map((code, i) => (levels[order[i]!]! + levels[code]!) / 2);
  return (x) => {
    let [lo, hi] = [0, mids.length];
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (mids[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    return order[lo]!;
  };
}

function nf4(): CodeTable {
  const levels = table(NF4);
  return { bits: 4, levels, quantize: nearestCode(levels) };
}

function fp4(): CodeTable {
  const levels = table([...FP4_MAGNITUDE, ...FP4_MAGNITUDE.map((m) => -m)]);
  const magnitude = nearestCode(table(FP4_MAGNITUDE));
  // Sign and magnitude apart, as bitsandbytes' dQuantizeFP4 does (a negative value keeps its sign bit even at 0).
  return { bits: 4, levels, quantize: (x) => magnitude(Math.abs(x)) | (x < 0 ? 0b1000 : 0) };
}

/** Symmetric int4 as onnxruntime's uint4 with zero point 8: code c is (c − 8)/7, so codes 1..15 hold −7..7. */
function int4(): CodeTable {
  const levels = table([...Array(16).keys()].map((c) => (c - 8) / 7));
  return { bits: 4, levels, quantize: (x) => Math.min(15, Math.max(1, Math.round(x * 7) + 8)) };
}

/**
 * Symmetric int8, stored offset by 128 (the byte is q + 128, q ∈ [−127, 127]) so the graph decodes it with a Cast
 * and arithmetic instead of a table lookup; the level is q/127.
 */
function int8(): CodeTable {
  const levels = table([...Array(256).keys()].map((c) => (c - 128) / 127));
  return { bits: 8, levels, quantize: (x) => Math.min(127, Math.max(-127, Math.round(x * 127))) + 128 };
}

const TABLES: Record<QuantFormat, () => CodeTable> = { nf4, fp4, int4, int8 };

export function codeTable(format: QuantFormat): CodeTable {
  return TABLES[format]();
}
