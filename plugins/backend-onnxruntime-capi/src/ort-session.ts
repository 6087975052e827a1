/**
 * One onnxruntime session over the C API: created from model bytes, described (input/output names and input
 * types), and run through an IoBinding: inputs bound to OrtValues, outputs either bound to caller-owned values
 * (resident tensors) or left to onnxruntime to allocate in host memory and copied out.
 */
import type { DType, HostTensor } from '@aligntune/core/engine';
import { callAsync, check, create, decodePointers, decodeString, loadOrt, type Ptr } from './ort-api.js';
import { dtypeOf, readHost, releaseValue } from './ort-value.js';

/** What shapes a session besides the model bytes. */
export interface SessionSettings {
  intraOpNumThreads: number;
  /** ORT_DISABLE_ALL 0, BASIC 1, EXTENDED 2, ALL 99. */
  graphOptimizationLevel: number;
  arena: boolean;
  logSeverityLevel: number;
  logId: string;
  profileFilePrefix?: string;
  sessionConfig?: Readonly<Record<string, string>>;
  /**
   * Initializers the session uses instead of the model's (`AddInitializer`), by name: values that outlive the
   * session, shared by every session given the same one (the model names them as external data, holding no copy).
   */
  initializers?: ReadonlyMap<string, Ptr>;
  /** Appends an execution provider (CUDA); the CPU provider is always there as fallback. */
  appendProvider?: (options: Ptr) => void;
}

export class OrtSession {
  private constructor(
    readonly handle: Ptr,
    readonly inputNames: readonly string[],
    readonly outputNames: readonly string[],
    readonly inputTypes: Readonly<Record<string, DType>>,
  ) {}

  static create(env: Ptr, model: Uint8Array, settings: SessionSettings): OrtSession {
    const { api } = loadOrt();
    return OrtSession.withOptions(settings, (options) => create('CreateSessionFromArray', api.CreateSessionFromArray, env, model, model.byteLength, options));
  }

  /** From a model file (its external weights are files beside it). */
  static fromFile(env: Ptr, path: string, settings: SessionSettings): OrtSession {
    const { api } = loadOrt();
    return OrtSession.withOptions(settings, (options) => create('CreateSession', api.CreateSession, env, path, options));
  }

  private static withOptions(settings: SessionSettings, open: (options: Ptr) => Ptr): OrtSession {
    const { api } = loadOrt();
    const options = create('CreateSessionOptions', api.CreateSessionOptions);
    try {
      configure(options, settings);
      return OrtSession.describe(open(options));
    } finally {
      api.ReleaseSessionOptions(options);
    }
  }

  private static describe(handle: Ptr): OrtSession {
    const { api } = loadOrt();
    const allocator = defaultAllocator();
    const count = (fn: typeof api.SessionGetInputCount) => {
      const out = [0];
      check(fn(handle, out), 'SessionGetInputCount');
      return Number(out[0]);
    };
    const name = (fn: typeof api.SessionGetInputName, index: number) => {
      const pointer = create('SessionGetInputName', fn, handle, index, allocator);
      const text = decodeString(pointer);
      check(api.AllocatorFree(allocator, pointer), 'AllocatorFree');
      return text;
    };
    const inputNames = Array.from({ length: count(api.SessionGetInputCount) }, (_, i) => name(api.SessionGetInputName, i));
    const outputNames = Array.from({ length: count(api.SessionGetOutputCount) }, (_, i) => name(api.SessionGetOutputName, i));
    const inputTypes: Record<string, DType> = {};
    inputNames.forEach((input, i) => {
      const dtype = inputType(handle, i);
      if (dtype) inputTypes[input] = dtype;
    });
    return new OrtSession(handle, inputNames, outputNames, inputTypes);
  }

  /**
   * Binds `inputs` and `into` (caller-owned output values), lets onnxruntime allocate `fetches` in `fetchMemory`,
   * runs off the main thread and returns the fetched outputs copied to host tensors.
   */
  async run(inputs: ReadonlyMap<string, Ptr>, into: ReadonlyMap<string, Ptr>, fetches: readonly string[], fetchMemory: Ptr): Promise<Record<string, HostTensor>> {
    const bound = new BoundRun(this.handle, inputs, into, fetches, fetchMemory);
    try {
      await callAsync('Run', loadOrt().api.RunWithBinding, this.handle, null, bound.binding);
      return bound.outputs();
    } finally {
      bound.release();
    }
  }

  /** `run` on the calling thread, for short runs that must finish before the caller returns (device copies). */
  runBlocking(inputs: ReadonlyMap<string, Ptr>, into: ReadonlyMap<string, Ptr>, fetches: readonly string[], fetchMemory: Ptr): Record<string, HostTensor> {
    const bound = new BoundRun(this.handle, inputs, into, fetches, fetchMemory);
    try {
      check(loadOrt().api.RunWithBinding(this.handle, null, bound.binding), 'Run');
      return bound.outputs();
    } finally {
      bound.release();
    }
  }

  /** Flushes the profile (when profiling) and frees the session. */
  release(endProfiling: boolean): void {
    const { api } = loadOrt();
    if (endProfiling) {
      const allocator = defaultAllocator();
      const file = create('SessionEndProfiling', api.SessionEndProfiling, this.handle, allocator);
      check(api.AllocatorFree(allocator, file), 'AllocatorFree');
    }
    api.ReleaseSession(this.handle);
  }
}

/** An IoBinding with a run's inputs and outputs bound; `outputs` reads the fetched ones after the run. */
class BoundRun {
  readonly binding: Ptr;

  constructor(
    session: Ptr,
    inputs: ReadonlyMap<string, Ptr>,
    private readonly into: ReadonlyMap<string, Ptr>,
    private readonly fetches: readonly string[],
    fetchMemory: Ptr,
  ) {
    const { api } = loadOrt();
    this.binding = create('CreateIoBinding', api.CreateIoBinding, session);
    try {
      for (const [name, value] of inputs) check(api.BindInput(this.binding, name, value), `BindInput ${name}`);
      for (const [name, value] of into) check(api.BindOutput(this.binding, name, value), `BindOutput ${name}`);
      for (const name of fetches) check(api.BindOutputToDevice(this.binding, name, fetchMemory), `BindOutputToDevice ${name}`);
    } catch (error) {
      this.release();
      throw error;
    }
  }

  /** The bound outputs come back in binding order (the `into` ones first): fetched ones are copied out, all released. */
  outputs(): Record<string, HostTensor> {
    const { api } = loadOrt();
    check(api.SynchronizeBoundOutputs(this.binding), 'SynchronizeBoundOutputs');
    const allocator = defaultAllocator();
    const list: Ptr[] = [null];
    const count = [0];
    check(api.GetBoundOutputValues(this.binding, allocator, list, count), 'GetBoundOutputValues');
    const total = Number(count[0]);
    if (total === 0) return {};
    const values = decodePointers(list[0], total);
    const result: Record<string, HostTensor> = {};
    try {
      this.fetches.forEach((name, i) => (result[name] = readHost(values[this.into.size + i])));
    } finally {
      for (const value of values) releaseValue(value);
      check(api.AllocatorFree(allocator, list[0]), 'AllocatorFree');
    }
    return result;
  }

  release(): void {
    loadOrt().api.ReleaseIoBinding(this.binding);
  }
}

function configure(options: Ptr, s: SessionSettings): void {
  const { api } = loadOrt();
  check(api.SetIntraOpNumThreads(options, s.intraOpNumThreads), 'SetIntraOpNumThreads');
  check(api.SetInterOpNumThreads(options, 1), 'SetInterOpNumThreads');
  check(api.SetSessionExecutionMode(options, 0), 'SetSessionExecutionMode');
  check(api.SetSessionGraphOptimizationLevel(options, s.graphOptimizationLevel), 'SetSessionGraphOptimizationLevel');
  check(s.arena ? api.EnableCpuMemArena(options) : api.DisableCpuMemArena(options), 'CpuMemArena');
  // No memory pattern, arena or not: with one, the second run allocates the whole planned block from the arena
  // while the first run's per-tensor chunks stay in it, so a train step's working memory is held twice (measured:
  // SFT step on GPT-2 small, peak RSS 4.44 GiB with the pattern, 3.31 GiB without; docs/performance.md).
  check(api.DisableMemPattern(options), 'DisableMemPattern');
  check(api.SetSessionLogSeverityLevel(options, s.logSeverityLevel), 'SetSessionLogSeverityLevel');
  check(api.SetSessionLogId(options, s.logId), 'SetSessionLogId');
  if (s.profileFilePrefix !== undefined) check(api.EnableProfiling(options, s.profileFilePrefix), 'EnableProfiling');
  for (const [key, value] of Object.entries(s.sessionConfig ?? {})) check(api.AddSessionConfigEntry(options, key, value), `AddSessionConfigEntry ${key}`);
  for (const [name, value] of s.initializers ?? []) check(api.AddInitializer(options, name, value), `AddInitializer ${name}`);
  s.appendProvider?.(options);
}

function inputType(session: Ptr, index: number): DType | undefined {
  const { api } = loadOrt();
  const typeInfo = create('SessionGetInputTypeInfo', api.SessionGetInputTypeInfo, session, index);
  try {
    const tensorInfo = create('CastTypeInfoToTensorInfo', api.CastTypeInfoToTensorInfo, typeInfo);
    if (!tensorInfo) return undefined; // not a tensor input
    const type = [0];
    check(api.GetTensorElementType(tensorInfo, type), 'GetTensorElementType');
    return dtypeOf(type[0]!);
  } finally {
    api.ReleaseTypeInfo(typeInfo);
  }
}

let allocator: Ptr;
/** onnxruntime's default CPU allocator (one per process, never freed). */
export function defaultAllocator(): Ptr {
  allocator ??= create('GetAllocatorWithDefaultOptions', loadOrt().api.GetAllocatorWithDefaultOptions);
  return allocator;
}
