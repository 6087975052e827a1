import type { CompileOptions, CompiledGraph, GraphExecutor } from './graph-executor.js';
import { encodeModel, externalizeInitializers } from './onnx/onnx-encoder.js';
import type { OnnxModel } from './onnx/onnx-model.js';

/** Initializers at least this large (frozen weights) leave the model bytes; tables and small constants stay in. */
const SHARED_MIN_BYTES = 1 << 20;

/**
 * Compiles `model` with its frozen weights (large initializers) beside the model bytes as external data that names
 * each tensor, not encoded into them: the bytes carry no copy of the weights, and a backend that shares initializers
 * between sessions (ort-capi) holds one value per weight, over the host's own array, for every session that reads
 * it. A backend that does not (onnxruntime-node) loads them from memory into each session, as it did from the bytes.
 */
export function compileWithSharedWeights(executor: GraphExecutor, model: OnnxModel, options: CompileOptions = {}): Promise<CompiledGraph> {
  const { model: slim, externalData } = externalizeInitializers(model, SHARED_MIN_BYTES);
  return executor.compile(encodeModel(slim), { ...options, externalData: [...(options.externalData ?? []), ...externalData] });
}
