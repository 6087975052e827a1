/** Element types of the safetensors format, spelled as in its header. */
export const SAFETENSORS_DTYPES = ['F64', 'F32', 'F16', 'BF16', 'I64', 'I32', 'I16', 'I8', 'U64', 'U32', 'U16', 'U8', 'BOOL'] as const;
export type SafetensorsDtype = (typeof SAFETENSORS_DTYPES)[number];

/**
 * The typed array holding a tensor's elements. F16 and BF16 keep their raw bits in a Uint16Array;
 * BOOL is one byte per element (0 or 1) in a Uint8Array.
 */
export type StoredArray =
  | Float64Array
  | Float32Array
  | Uint16Array
  | BigInt64Array
  | BigUint64Array
  | Int32Array
  | Uint32Array
  | Int16Array
  | Int8Array
  | Uint8Array;

/** A tensor as stored in a safetensors file: element type, shape and little-endian data. */
export interface StoredTensor {
  readonly dtype: SafetensorsDtype;
  readonly shape: readonly number[];
  readonly data: StoredArray;
  /** Set by readers that converted the file's F16/BF16 data to F32: the dtype on disk. */
  readonly storedDtype?: SafetensorsDtype;
}

type ArrayCtor = { new (buffer: ArrayBufferLike, byteOffset?: number, length?: number): StoredArray; BYTES_PER_ELEMENT: number };

const ARRAY_CTORS: Record<SafetensorsDtype, ArrayCtor> = {
  F64: Float64Array,
  F32: Float32Array,
  F16: Uint16Array,
  BF16: Uint16Array,
  I64: BigInt64Array,
  I32: Int32Array,
  I16: Int16Array,
  I8: Int8Array,
  U64: BigUint64Array,
  U32: Uint32Array,
  U16: Uint16Array,
  U8: Uint8Array,
  BOOL: Uint8Array,
};

export function isSafetensorsDtype(value: unknown): value is SafetensorsDtype {
  return typeof value === 'string' && (SAFETENSORS_DTYPES as readonly string[]).includes(value);
}

export function dtypeByteSize(dtype: SafetensorsDtype): number {
  return ARRAY_CTORS[dtype].BYTES_PER_ELEMENT;
}

/** The typed array class that holds `dtype` (F16/BF16 → Uint16Array). */
export function dtypeArrayName(dtype: SafetensorsDtype): string {
  return ARRAY_CTORS[dtype].name;
}

/** Whether `data` is the typed array that holds `dtype` (a Buffer counts as a Uint8Array). */
export function isArrayFor(dtype: SafetensorsDtype, data: unknown): data is StoredArray {
  return data instanceof (ARRAY_CTORS[dtype] as unknown as typeof Uint8Array);
}

/** A view of `bytes` as the typed array for `dtype`; `bytes` must be aligned to the element size. */
export function viewAs(dtype: SafetensorsDtype, buffer: ArrayBufferLike, byteOffset: number, length: number): StoredArray {
  return new ARRAY_CTORS[dtype](buffer, byteOffset, length);
}

export function shapeNumel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Byte view of a typed array, so copies keep every bit (NaN payloads included). */
export function bytesOf(data: StoredArray): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}
