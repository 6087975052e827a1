import type { DType, TensorData } from './graph-executor.js';

/** A typed array of `length` elements (zeros), or a view of a whole buffer. */
export type TypedArrayConstructor = new (lengthOrBuffer: number | ArrayBuffer) => TensorData;

/**
 * The typed array each dtype travels in as a HostTensor (float16 as raw bits, since Node 20 has no Float16Array;
 * bool as bytes). Every backend converts through this one table.
 */
export const DTYPE_ARRAY: Readonly<Record<DType, TypedArrayConstructor>> = {
  float32: Float32Array,
  float64: Float64Array,
  float16: Uint16Array,
  bfloat16: Uint16Array,
  int32: Int32Array,
  int64: BigInt64Array,
  bool: Uint8Array,
  uint8: Uint8Array,
  uint16: Uint16Array,
};

/** The number of elements of a tensor of these dims (1 for a scalar). */
export function elementCount(dims: readonly number[]): number {
  return dims.reduce((count, dim) => count * dim, 1);
}
