// Conversions between IEEE half (F16), bfloat16 (BF16) and float32, done on raw bits.
// Both narrowing directions round to nearest, ties to even, as torch's `.to()` does.

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

let f16Table: Uint32Array | undefined;

/**
 * float32 bits of every F16 bit pattern; built once (256 KiB) because per-element branching is slow.
 * Bits, not numbers: passing a signalling NaN through a JS number would quieten it.
 */
function halfTable(): Uint32Array {
  if (f16Table) return f16Table;
  const table = new Uint32Array(65536);
  for (let h = 0; h < 65536; h++) table[h] = f16BitsToF32Bits(h);
  f16Table = table;
  return table;
}

/** float32 bit patterns of `src` (exact for Float32Array; Float64Array values are rounded to float32 first). */
function float32Bits(src: Float32Array | Float64Array): Uint32Array {
  if (src instanceof Float32Array) return new Uint32Array(src.buffer, src.byteOffset, src.length);
  return new Uint32Array(Float32Array.from(src).buffer);
}

function f16BitsToF32Bits(h: number): number {
  const sign = (h & 0x8000) << 16;
  const exp = (h >>> 10) & 0x1f;
  let mant = h & 0x3ff;
  if (exp === 0x1f) return (sign | 0x7f800000 | (mant << 13)) >>> 0;
  if (exp !== 0) return (sign | ((exp + 112) << 23) | (mant << 13)) >>> 0;
  if (mant === 0) return sign >>> 0;
  // Subnormal half: renormalise so the float32 has an implicit leading one.
  let e = 113;
  while ((mant & 0x400) === 0) {
    mant <<= 1;
    e--;
  }
  return (sign | (e << 23) | ((mant & 0x3ff) << 13)) >>> 0;
}

function f32BitsToF16Bits(bits: number): number {
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  const mant = bits & 0x7fffff;
  if (exp === 0xff) {
    if (mant === 0) return sign | 0x7c00;
    // Keep the top payload bits; force a mantissa bit if they were all in the dropped part.
    return sign | 0x7c00 | (mant >>> 13 || 0x200);
  }
  const e = exp - 112; // half exponent field
  if (e >= 31) return sign | 0x7c00;
  if (e > 0) return sign + roundShift((e << 10) * 8192 + mant, 13);
  // Subnormal (or zero) half: shift the full 24-bit significand.
  const shift = 126 - exp;
  if (shift > 24) return sign;
  return sign | roundShift(mant | 0x800000, shift);
}

/** `value >> shift`, rounded to nearest with ties to even; a carry may ripple into the exponent, as intended. */
function roundShift(value: number, shift: number): number {
  const scale = 2 ** shift;
  const q = Math.floor(value / scale);
  const rem = value - q * scale;
  const half = scale / 2;
  return rem > half || (rem === half && (q & 1) === 1) ? q + 1 : q;
}

export function f16ToF32(src: Uint16Array): Float32Array {
  const table = halfTable();
  const out = new Float32Array(src.length);
  const bits = new Uint32Array(out.buffer);
  for (let i = 0; i < src.length; i++) bits[i] = table[src[i]!]!;
  return out;
}

export function bf16ToF32(src: Uint16Array): Float32Array {
  const out = new Float32Array(src.length);
  const bits = new Uint32Array(out.buffer);
  for (let i = 0; i < src.length; i++) bits[i] = src[i]! << 16;
  return out;
}

export function f32ToF16(src: Float32Array | Float64Array): Uint16Array {
  const bits = float32Bits(src);
  const out = new Uint16Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = f32BitsToF16Bits(bits[i]!);
  return out;
}

export function f32ToBf16(src: Float32Array | Float64Array): Uint16Array {
  const bits = float32Bits(src);
  const out = new Uint16Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = f32BitsToBf16Bits(bits[i]!);
  return out;
}

function f32BitsToBf16Bits(bits: number): number {
  if ((bits & 0x7f800000) === 0x7f800000 && (bits & 0x7fffff) !== 0) {
    const high = bits >>> 16;
    // A NaN whose payload sits only in the low half would truncate to Inf: make it a quiet NaN.
    return (high & 0x7f) === 0 ? high | 0x40 : high;
  }
  return roundShift(bits >>> 0, 16) & 0xffff;
}

/** Single-value helpers, handy for tests and scalars. */
export function f16BitsToNumber(h: number): number {
  u32[0] = halfTable()[h & 0xffff]!;
  return f32[0]!;
}

export function bf16BitsToNumber(h: number): number {
  u32[0] = (h & 0xffff) << 16;
  return f32[0]!;
}
