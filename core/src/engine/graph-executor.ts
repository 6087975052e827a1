/**
 * The contract between the engine (which builds graphs and emits ONNX bytes) and a compute backend
 * plugin (which executes them). The CPU plugin (`@aligntune/plugin-backend-onnxruntime`) implements it with
 * onnxruntime-node; a CUDA plugin later swaps only the execution provider and the placement policy.
 */

export type DType = 'float32' | 'float64' | 'float16' | 'int32' | 'int64' | 'bool' | 'uint8';

export type TensorData = Float32Array | Float64Array | Uint16Array | Int32Array | BigInt64Array | Uint8Array;

/** A tensor in host (JS) memory. float16 data is raw bits in a Uint16Array. bool is Uint8Array. */
export interface HostTensor {
  readonly dtype: DType;
  readonly dims: readonly number[];
  readonly data: TensorData;
}

export interface CompileOptions {
  /** Write an onnxruntime profile (JSON) with this file prefix. */
  profileFilePrefix?: string;
  /** Weights stored outside the model bytes (frozen models > 2 GB): location name → bytes. */
  externalData?: Array<{ path: string; data: Uint8Array }>;
  /** Human-readable label for logs and errors. */
  label?: string;
  /**
   * Keep the session's working memory between runs (an arena; default true: big graphs run faster). false
   * for graphs whose memory is mostly their outputs, such as the grouped optimizer update: an arena per
   * group's session would keep every group's outputs allocated at once.
   */
  reuseMemory?: boolean;
}

/** How a backend prefers steps to be placed; engines fuse `stepsPerRun` optimizer steps into one run (ONNX Loop). */
export interface PlacementPolicy {
  readonly stepsPerRun: number;
}

export interface CompiledGraph {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /**
   * Runs the graph. `fetches` defaults to every output. Feeds are read in place (zero-copy): do not
   * mutate them until the promise settles. Outputs are fresh buffers owned by the caller. Missing or
   * unknown feeds, unknown fetches and dtype mismatches reject before anything runs, naming the graph label.
   */
  run(feeds: Readonly<Record<string, HostTensor>>, fetches?: readonly string[]): Promise<Record<string, HostTensor>>;
  /** Releases this handle; the backend frees the session when the last handle on it is disposed. */
  dispose(): Promise<void>;
}

/** What a `@ComputeBackend(id)` class implements: compiles ONNX graphs and executes them. */
export interface GraphExecutor {
  readonly id: string;
  readonly placement: PlacementPolicy;
  /**
   * Compiles ONNX ModelProto bytes. Implementations cache sessions by a hash of the bytes (and of any
   * external data), so compiling equal bytes again is cheap and returns another handle on one session.
   * Rejects with the backend's own message when it refuses the model, naming `options.label`.
   */
  compile(model: Uint8Array, options?: CompileOptions): Promise<CompiledGraph>;
  /** Frees every session this backend still holds. */
  dispose(): Promise<void>;
}
