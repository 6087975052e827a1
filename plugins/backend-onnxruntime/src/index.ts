// @aligntune/plugin-backend-onnxruntime: compute backend 'cpu' on onnxruntime-node.
export { OnnxRuntimeBackend, type OnnxRuntimeBackendOptions } from './onnxruntime-backend.js';
export { toOrtTensor, fromOrtTensor, checkHostTensor } from './tensor-convert.js';
