// @aligntune/core/engine — The engine: the graph IR, ONNX emission, the executor contract, optimizers and the process-group contract.
// Named exports only: adding a name here is a deliberate change to the public API
// (test/packaging/public-api.test.ts compares it with test/packaging/public-api.names.json).
import 'reflect-metadata';
export { gradRegistry } from '../engine/autodiff/grad-registry.js';
export { grad } from '../engine/autodiff/grad.js';
export {
  type CompileOptions,
  type CompiledGraph,
  type ExternalTensorData,
  type DType,
  type GraphExecutor,
  type HostTensor,
  allHost,
  isResident,
  type PlacementPolicy,
  type ResidentTensor,
  type ResidentValues,
  type RunOptions,
  type RunValue,
  type TensorData,
} from '../engine/graph-executor.js';
export { compileCacheKey } from '../engine/compile-cache-key.js';
export { compileWithSharedWeights } from '../engine/compile-with-shared-weights.js';
export { freezeHostArray, isFrozenHostArray } from '../engine/frozen-host-arrays.js';
export { type CachedSession, SessionCache } from '../engine/session-cache.js';
export { DTYPE_ARRAY, elementCount } from '../engine/dtype-array.js';
export { Interpreter, interpret } from '../engine/interpret/interpreter.js';
export { hostTensor, hostValues } from '../engine/interpret/nd-array.js';
export { dimAdd, dimDiv, dimEq, dimMul } from '../engine/ir/dim.js';
export { Graph } from '../engine/ir/graph.js';
export { opRegistry } from '../engine/ir/op-def.js';
export { Tensor } from '../engine/ir/tensor.js';
export { emitModel } from '../engine/onnx/emit-model.js';
export { inPlaceOutputs } from '../engine/onnx/in-place-outputs.js';
export { encodeModel, externalizeInitializers, tensorFromArray } from '../engine/onnx/onnx-encoder.js';
export {
  type OnnxAttribute,
  OnnxDataType,
  type OnnxGraph,
  type OnnxModel,
  type OnnxNode,
  type OnnxTensor,
  type OnnxValueInfo,
} from '../engine/onnx/onnx-model.js';
export { AdamW } from '../engine/optim/adamw.js';
export { buildLoopTrainStep } from '../engine/optim/loop-train-step.js';
export { type GraphOptimizer } from '../engine/optim/optimizer.js';
export { learningRate } from '../engine/optim/schedules.js';
export { Sgd } from '../engine/optim/sgd.js';
export { TrainSession } from '../engine/optim/train-session.js';
export { buildAccumulateStep, buildApplyStep, buildTrainStep } from '../engine/optim/train-step.js';
export { computeThreads } from '../engine/compute-threads.js';
export { type CollectiveBuffer, type ProcessGroup, type ProcessGroupInit, type ReduceOp } from '../engine/process-group.js';
