import type { QuantFormat } from '../../config/quantization-config.js';
import { codeTable } from './code-tables.js';

/** A tensor quantized blockwise: each run of `blockSize` consecutive elements (row-major) shares one absmax. */
export interface QuantizedTensor {
  readonly format: QuantFormat;
  readonly dims: readonly number[];
  readonly blockSize: number;
  /** Packed codes: one byte per element (8-bit) or two (4-bit, first element in the high nibble); the last block zero-padded. */
  readonly codes: Uint8Array;
  /** One float32 scale per block: the largest |element| of the block. */
  readonly absmax: Float32Array;
}

/** Quantizes `values` (row-major `dims`) with the format's code table, absmax per block, as bitsandbytes' quantize_4bit does. */
export function quantizeBlockwise(values: Float32Array | Float64Array, dims: readonly number[], format: QuantFormat, blockSize: number): QuantizedTensor {
  const code = codeTable(format);
  const blocks = Math.ceil(values.length / blockSize);
  const absmax = new Float32Array(blocks);
  const perByte = 8 / code.bits;
  const codes = new Uint8Array((blocks * blockSize) / perByte);
  const zero = code.quantize(0);
  for (let b = 0; b < blocks; b++) {
    const start = b * blockSize;
    const end = Math.min(start + blockSize, values.length);
    let max = 0;
    for (let i = start; i < end; i++) max = Math.max(max, Math.abs(values[i]!));
    absmax[b] = max;
    const scale = absmax[b]! > 0 ? 1 / absmax[b]! : 0;
    for (let i = start; i < start + blockSize; i++) {
      const c = i < end ? code.quantize(values[i]! * scale) : zero;
      if (perByte === 1) codes[i] = c;
      else codes[i >> 1] |= i % 2 === 0 ? c << 4 : c;
    }
  }
  return { format, dims: [...dims], blockSize, codes, absmax };
}

/**
 * The float32 values the graph's decode produces, element by element: float32(level × absmax) for the 4-bit
 * formats, float32(q × float32(absmax / 127)) for int8 (decoded arithmetically, see int8Step).
 */
export function dequantizeBlockwise(q: QuantizedTensor): Float32Array {
  const out = new Float32Array(q.dims.reduce((a, b) => a * b, 1));
  if (q.format === 'int8') {
    for (let i = 0; i < out.length; i++) out[i] = (q.codes[i]! - 128) * int8Step(q.absmax[Math.floor(i / q.blockSize)]!);
    return out;
  }
  const { levels } = codeTable(q.format);
  for (let i = 0; i < out.length; i++) {
    const c = i % 2 === 0 ? q.codes[i >> 1]! >> 4 : q.codes[i >> 1]! & 0x0f;
    out[i] = levels[c]! * q.absmax[Math.floor(i / q.blockSize)]!;
  }
  return out;
}

/** int8's value of one step in a block, float32(absmax / 127), as the graph computes it. */
function int8Step(absmax: number): number {
  return Math.fround(absmax / 127);
}
