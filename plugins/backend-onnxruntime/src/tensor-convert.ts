/**
 * HostTensor <-> onnxruntime Tensor. Engine dtype names are onnxruntime's type names, so conversion is a
 * re-wrap of the same typed array: inputs are never copied on the JS side.
 */
import * as ort from 'onnxruntime-node';
import { DTYPE_ARRAY, elementCount, type DType, type HostTensor, type TensorData } from '@aligntune/core/engine';

export function isDType(type: string): type is DType {
  return Object.hasOwn(DTYPE_ARRAY, type);
}

/** Throws a message naming the feed when a HostTensor is inconsistent with itself. */
export function checkHostTensor(name: string, tensor: HostTensor): void {
  const expected = DTYPE_ARRAY[tensor.dtype];
  if (!expected) throw new Error(`feed "${name}": unknown dtype "${tensor.dtype}"`);
  if (!(tensor.data instanceof expected)) {
    throw new Error(`feed "${name}": dtype ${tensor.dtype} needs a ${expected.name}, got ${tensor.data.constructor.name}`);
  }
  if (tensor.dims.some((dim) => !Number.isInteger(dim) || dim < 0)) {
    throw new Error(`feed "${name}": invalid dims [${tensor.dims.join(', ')}]`);
  }
  const count = elementCount(tensor.dims);
  if (tensor.data.length !== count) {
    throw new Error(`feed "${name}": dims [${tensor.dims.join(', ')}] hold ${count} elements, data has ${tensor.data.length}`);
  }
}

/**
 * Zero-copy: the ort.Tensor wraps `tensor.data` itself. The one exception is data in a SharedArrayBuffer,
 * which the onnxruntime-node 1.30 binding rejects ("Invalid argument"), so it is copied first.
 */
export function toOrtTensor(tensor: HostTensor): ort.Tensor {
  const data = tensor.data.buffer instanceof SharedArrayBuffer ? tensor.data.slice() : tensor.data;
  // bfloat16 exists only inside graphs (mixed precision); onnxruntime-node cannot take it as a feed
  if (tensor.dtype === 'bfloat16') throw new Error('bfloat16 tensors cannot be fed to onnxruntime-node');
  return new ort.Tensor(tensor.dtype, data as ort.Tensor.DataType, tensor.dims);
}

/** onnxruntime hands every output back in a fresh buffer, so wrapping it is safe and copy-free. */
export function fromOrtTensor(name: string, value: ort.OnnxValue): HostTensor {
  if (!isDType(value.type)) {
    throw new Error(`output "${name}": onnxruntime type "${value.type}" has no aligntune dtype`);
  }
  return { dtype: value.type, dims: [...value.dims], data: value.data as TensorData };
}
