import type { DType, HostTensor, TensorData } from '../graph-executor.js';

/**
 * The interpreter's array: every dtype is held as float64 numbers. It is the independent reference
 * (gradient checks, constant folding), so clarity beats speed here.
 */
export interface NdArray {
  readonly dtype: DType;
  readonly dims: readonly number[];
  readonly data: Float64Array;
}

export function nd(dtype: DType, dims: readonly number[], data?: ArrayLike<number>): NdArray {
  const n = size(dims);
  const out = new Float64Array(n);
  if (data) {
    if (data.length !== n) throw new Error(`data length ${data.length} != ${n} for [${dims.join(',')}]`);
    out.set(data);
  }
  return { dtype, dims: [...dims], data: out };
}

export function size(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

export function strides(dims: readonly number[]): number[] {
  const s = new Array<number>(dims.length);
  let acc = 1;
  for (let i = dims.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= dims[i];
  }
  return s;
}

/** Converts a multi-index (as the flat index of `dims`) into the flat index of a broadcast operand. */
export function broadcastIndexer(outDims: readonly number[], inDims: readonly number[]): (flat: number) => number {
  const rank = outDims.length;
  const off = rank - inDims.length;
  const inStr = strides(inDims);
  const outStr = strides(outDims);
  return (flat) => {
    let idx = 0;
    let rem = flat;
    for (let i = 0; i < rank; i++) {
      const q = Math.floor(rem / outStr[i]);
      rem -= q * outStr[i];
      const j = i - off;
      if (j >= 0 && inDims[j] !== 1) idx += q * inStr[j];
    }
    return idx;
  };
}

export function broadcastDims(a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const x = a[a.length - rank + i] ?? 1;
    const y = b[b.length - rank + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) throw new Error(`cannot broadcast [${a}] and [${b}]`);
    out.push(x === 1 ? y : x);
  }
  return out;
}

export function fromHost(t: HostTensor): NdArray {
  const src = t.data;
  const out = new Float64Array(src.length);
  if (src instanceof BigInt64Array) for (let i = 0; i < src.length; i++) out[i] = Number(src[i]);
  else out.set(src as ArrayLike<number>);
  return { dtype: t.dtype, dims: [...t.dims], data: out };
}

export function toHost(a: NdArray): HostTensor {
  return hostTensor(a.dtype, a.dims, a.data);
}

/** Builds a HostTensor of the dtype's natural typed array from numbers. */
export function hostTensor(dtype: DType, dims: readonly number[], values: ArrayLike<number>): HostTensor {
  let data: TensorData;
  switch (dtype) {
    case 'float32':
      data = Float32Array.from(values);
      break;
    case 'float64':
      data = Float64Array.from(values);
      break;
    case 'int32':
      data = Int32Array.from(values);
      break;
    case 'int64':
      data = BigInt64Array.from(Array.from(values, (v) => BigInt(Math.trunc(v))));
      break;
    case 'bool':
    case 'uint8':
      data = Uint8Array.from(values);
      break;
    case 'uint16':
      data = Uint16Array.from(values);
      break;
    default:
      throw new Error(`hostTensor: unsupported dtype ${dtype}`);
  }
  return { dtype, dims: [...dims], data };
}

/** Reads any HostTensor's values as numbers. */
export function hostValues(t: HostTensor): Float64Array {
  return fromHost(t).data;
}
