/**
 * OrtValues from and to host tensors. A host feed is wrapped, not copied (`CreateTensorWithDataAsOrtValue` over
 * the typed array's own memory); an output is copied out of onnxruntime's memory into a fresh typed array.
 */
import koffi from 'koffi';
import { DTYPE_ARRAY, elementCount, type DType, type HostTensor } from '@aligntune/core/engine';
import { check, create, loadOrt, type Ptr } from './ort-api.js';

/** ONNXTensorElementDataType of each engine dtype (onnxruntime_c_api.h). */
const ELEMENT_TYPE: Readonly<Record<DType, number>> = { float32: 1, uint8: 2, uint16: 4, int32: 6, int64: 7, bool: 9, float16: 10, float64: 11, bfloat16: 16 };
const DTYPE_OF = new Map(Object.entries(ELEMENT_TYPE).map(([dtype, type]) => [type, dtype as DType]));

export function elementType(dtype: DType): number {
  return ELEMENT_TYPE[dtype];
}

export function dtypeOf(type: number): DType | undefined {
  return DTYPE_OF.get(type);
}

function shape(dims: readonly number[]): BigInt64Array {
  return BigInt64Array.from(dims, (dim) => BigInt(dim));
}

/**
 * An OrtValue over the tensor's own memory. Reading `.buffer` moves a small typed array's data off V8's heap, so
 * the address onnxruntime keeps cannot move; the caller keeps `tensor` alive until the value is released. `as`
 * reads the bytes as another ONNX type and shape (an initializer's, bfloat16 included).
 */
export function wrapHost(tensor: HostTensor, cpuInfo: Ptr, as?: { readonly dataType: number; readonly dims: readonly number[] }): Ptr {
  void tensor.data.buffer;
  const { api } = loadOrt();
  // a zero-byte tensor still needs a valid pointer
  const data = tensor.data.byteLength === 0 ? new Uint8Array(1) : tensor.data;
  const dims = as?.dims ?? tensor.dims;
  return create('CreateTensorWithDataAsOrtValue', api.CreateTensorWithDataAsOrtValue, cpuInfo, data, tensor.data.byteLength, shape(dims), dims.length, as?.dataType ?? elementType(tensor.dtype));
}

/** A tensor of onnxruntime's own memory from `allocator` (uninitialised). */
export function allocateValue(allocator: Ptr, dtype: DType, dims: readonly number[]): Ptr {
  const { api } = loadOrt();
  return create('CreateTensorAsOrtValue', api.CreateTensorAsOrtValue, allocator, shape(dims), dims.length, elementType(dtype));
}

/** dtype and dims of a tensor OrtValue. */
export function describeValue(value: Ptr): { dtype: DType; dims: number[] } {
  const { api } = loadOrt();
  const info = create('GetTensorTypeAndShape', api.GetTensorTypeAndShape, value);
  try {
    const type = [0];
    check(api.GetTensorElementType(info, type), 'GetTensorElementType');
    const count = [0];
    check(api.GetDimensionsCount(info, count), 'GetDimensionsCount');
    const dims = new BigInt64Array(Number(count[0]));
    check(api.GetDimensions(info, dims, dims.length), 'GetDimensions');
    const dtype = dtypeOf(type[0]!);
    if (!dtype) throw new Error(`onnxruntime element type ${type[0]} has no aligntune dtype`);
    return { dtype, dims: Array.from(dims, Number) };
  } finally {
    api.ReleaseTensorTypeAndShapeInfo(info);
  }
}

/** The bytes of a host-memory (CPU) tensor value, as a view without a copy: valid while the value lives. */
export function hostBytes(value: Ptr, byteLength: number): Uint8Array {
  if (byteLength === 0) return new Uint8Array(0);
  const { api } = loadOrt();
  const data = create('GetTensorMutableData', api.GetTensorMutableData, value);
  return new Uint8Array(koffi.view(data, byteLength) as ArrayBuffer);
}

/** A host copy of a CPU tensor value. */
export function readHost(value: Ptr): HostTensor {
  const { dtype, dims } = describeValue(value);
  const data = new DTYPE_ARRAY[dtype](elementCount(dims));
  new Uint8Array(data.buffer, data.byteOffset, data.byteLength).set(hostBytes(value, data.byteLength));
  return { dtype, dims, data };
}

export function releaseValue(value: Ptr): void {
  loadOrt().api.ReleaseValue(value);
}
