// Public surface of the engine layer (pure TypeScript; imports no onnxruntime).
export * from './onnx/onnx-model.js';
export * from './onnx/onnx-encoder.js';
export * from './graph-executor.js';
// IR, autodiff, interpreter, ONNX emission
export * from './ir/dim.js';
export * from './ir/tensor.js';
export * from './ir/op-def.js';
export * from './ir/graph.js';
export * from './autodiff/grad-registry.js';
export * from './autodiff/grad.js';
export * from './autodiff/sum-to-shape.js';
export * from './interpret/nd-array.js';
export * from './interpret/interpreter.js';
export * from './onnx/lowering.js';
export * from './onnx/emit-model.js';
// optimizers and step fusion
export * from './optim/optimizer.js';
export * from './optim/adamw.js';
export * from './optim/sgd.js';
export * from './optim/clip.js';
export * from './optim/schedules.js';
export * from './optim/train-step.js';
export * from './optim/loop-train-step.js';
export * from './optim/param-store.js';
export * from './optim/train-session.js';
