/**
 * The contract between the engine (which builds graphs and emits ONNX bytes) and a compute backend
 * plugin (which executes them). `@aligntune/plugin-backend-onnxruntime` implements it with onnxruntime-node
 * (host tensors only); `@aligntune/plugin-backend-onnxruntime-capi` with onnxruntime's C API, where values can
 * also stay inside the backend between runs (resident tensors), so a trainer's weights and optimizer state
 * never cross into JS between steps.
 */

/** A 16-bit dtype a backend may compute in (GraphExecutor.computeDtypes). */
export type ComputeDtype = 'float16' | 'bfloat16';

/** `bfloat16` is compute-only: mixed precision casts to it inside a graph on backends that declare it (no host feeds). */
export type DType = 'float32' | 'float64' | 'float16' | 'bfloat16' | 'int32' | 'int64' | 'bool' | 'uint8' | 'uint16';

export type TensorData = Float32Array | Float64Array | Uint16Array | Int32Array | BigInt64Array | Uint8Array;

/** A tensor in host (JS) memory. float16 data is raw bits in a Uint16Array. bool is Uint8Array. */
export interface HostTensor {
  readonly dtype: DType;
  readonly dims: readonly number[];
  readonly data: TensorData;
}

/**
 * A value that lives inside a backend (its memory, CPU or device) between runs. Only the backend that made it
 * can run with it; `read` copies it out to host memory (checkpoints, export, sampling).
 */
export interface ResidentTensor {
  readonly resident: true;
  readonly dtype: DType;
  readonly dims: readonly number[];
  /** A host copy of the current contents. */
  read(): HostTensor;
  /** Overwrites the contents with a host tensor of the same dtype and dims. */
  write(tensor: HostTensor): void;
  /**
   * The contents as a typed-array view of the tensor's own memory when it lives in host memory, so collectives
   * (MPI) read and write it in place; undefined for device memory (read, reduce, write back).
   */
  hostView?(): HostTensor['data'] | undefined;
  /** Frees the memory; the tensor must not be used afterwards. */
  dispose(): void;
}

/** A run's input: host memory, or a value resident in the backend running the graph. */
export type RunValue = HostTensor | ResidentTensor;

export function isResident(value: RunValue): value is ResidentTensor {
  return (value as Partial<ResidentTensor>).resident === true;
}

/** Whether every value is a host tensor (none resident), e.g. weights a model can take back as its own. */
export function allHost(values: Readonly<Record<string, RunValue>>): values is Readonly<Record<string, HostTensor>> {
  return !Object.values(values).some(isResident);
}

/** What a backend that keeps values resident offers besides running graphs. */
export interface ResidentValues {
  /** A resident tensor holding `tensor`'s data (copied once), or zeros of dtype/dims when given only those. */
  create(tensor: HostTensor | { dtype: DType; dims: readonly number[] }): ResidentTensor;
}

export interface RunOptions {
  /**
   * Outputs written into these resident tensors instead of being returned (same dtype and dims as the output).
   * None of them may also be a feed of the same run unless the output is named in `inPlace`: onnxruntime does
   * not order an in-place write after every read of the input, so callers alternate two sets (ping-pong).
   */
  into?: Readonly<Record<string, ResidentTensor>>;
  /**
   * Outputs of `into` that may be written into a tensor the same run reads: the caller proved from the graph
   * (`inPlaceOutputs`) that every reader of that input runs before the output's producer.
   */
  inPlace?: readonly string[];
}

/** One initializer's bytes kept outside the model bytes, under the location the model names. */
export interface ExternalTensorData {
  readonly path: string;
  readonly data: Uint8Array;
  /**
   * The initializer these bytes are (name, ONNX data type, dims), so a backend can hand it to its runtime as a
   * value (one per weight, shared by every session that uses it) instead of reading the location.
   */
  readonly initializer?: { readonly name: string; readonly dataType: number; readonly dims: readonly number[] };
  /** The bytes are never written again (see freezeHostArray): a backend may read them in place rather than copy them. */
  readonly frozen?: boolean;
}

export interface CompileOptions {
  /** Write an onnxruntime profile (JSON) with this file prefix. */
  profileFilePrefix?: string;
  /** Weights stored outside the model bytes (frozen models > 2 GB, shared initializers): location name → bytes. */
  externalData?: ExternalTensorData[];
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
   * Runs the graph. `fetches` defaults to every output not written `into` a resident tensor. Feeds are read in
   * place (zero-copy): do not mutate them until the promise settles. Fetched outputs are fresh host buffers
   * owned by the caller. Missing or unknown feeds, unknown fetches, dtype mismatches and resident values of
   * another backend reject before anything runs, naming the graph label.
   */
  run(feeds: Readonly<Record<string, RunValue>>, fetches?: readonly string[], options?: RunOptions): Promise<Record<string, HostTensor>>;
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
  /** Present when the backend can keep values resident between runs; callers fall back to host tensors without it. */
  readonly resident?: ResidentValues;
  /**
   * The 16-bit dtypes this backend computes matrix products in (an accelerator's tensor cores): mixed precision
   * (`model.precision` bf16/fp16) autocasts the training graph's MatMuls to them. Absent: storage-only precision.
   */
  readonly computeDtypes?: readonly ComputeDtype[];
  /** Frees every session this backend still holds. */
  dispose(): Promise<void>;
}
