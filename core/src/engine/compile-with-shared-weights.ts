import type { CompileOptions, CompiledGraph, GraphExecutor } from './graph-executor.js';
import { isFrozenHostArray } from './frozen-host-arrays.js';
import { encodeModel, externalizeInitializers } from './onnx/onnx-encoder.js';
import type { OnnxModel } from './onnx/onnx-model.js';

/** Frozen weights at least this large leave the model bytes; small ones (norms, biases) stay in. */
const SHARED_MIN_BYTES = 1 << 20;

/**
 * Compiles `model` with its frozen weights beside the model bytes as external data that names each tensor, not
 * encoded into them: the bytes carry no copy of the weights, and a backend that shares initializers between sessions
 * (ort-capi) gives every session that reads one the same value, over the host's own array. A backend that does not
 * (onnxruntime-node) loads them from memory into each session, as it did from the bytes. Frozen weights are the
 * large initializers over a frozen model's own arrays (freezeHostArray); those enter a graph only through
 * GraphWeights, whose run-time decode keeps onnxruntime's optimizers from reading them at session creation (an
 * external location shared this way is a stub the optimizers would read). Other initializers stay in the bytes.
 */
export function compileWithSharedWeights(executor: GraphExecutor, model: OnnxModel, options: CompileOptions = {}): Promise<CompiledGraph> {
  const { model: slim, externalData } = externalizeInitializers(model, SHARED_MIN_BYTES, (tensor) => isFrozenHostArray(tensor.rawData!));
  return executor.compile(encodeModel(slim), { ...options, externalData: [...(options.externalData ?? []), ...externalData] });
}
