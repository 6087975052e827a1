// Public surface of the engine layer (pure TypeScript; imports no onnxruntime).
export * from './onnx/onnx-model.js';
export * from './onnx/onnx-encoder.js';
export * from './graph-executor.js';
