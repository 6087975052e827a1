// @aligntune/plugin-backend-onnxruntime: compute backend 'cpu' on onnxruntime-node.
export { OnnxRuntimeBackend, type OnnxRuntimeBackendOptions } from './onnxruntime-backend.js';
export { toOrtTensor, fromOrtTensor, checkHostTensor, DTYPE_ARRAY } from './tensor-convert.js';
