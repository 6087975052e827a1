/**
 * onnxruntime's C API reached through koffi, against the `libonnxruntime.so.1` that onnxruntime-node installs
 * (no second copy of onnxruntime, no compiler). `OrtGetApiBase()->GetApi(ORT_API_VERSION)` hands back a table of
 * function pointers; the table is append-only across releases, so a slot index taken from `onnxruntime_c_api.h`
 * stays valid in every later library. The indices below are the `struct OrtApi` order of that header (API
 * version 13, the version requested; `GetApi` of the 1.30 library serves every version up to its own).
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import koffi from 'koffi';

/** The onnxruntime-node release this binding was checked against; a different library is refused at load. */
export const EXPECTED_ORT_VERSION = '1.30.0';
/** The `ORT_API_VERSION` of the header the slot indices come from. */
const ORT_API_VERSION = 13;

/** `struct OrtApi` slots (0-based) of the functions used here, from onnxruntime_c_api.h. */
const SLOT = {
  GetErrorCode: 1,
  GetErrorMessage: 2,
  CreateEnv: 3,
  CreateSession: 7,
  CreateSessionFromArray: 8,
  Run: 9,
  CreateSessionOptions: 10,
  SetSessionExecutionMode: 13,
  EnableProfiling: 14,
  DisableMemPattern: 17,
  EnableCpuMemArena: 18,
  DisableCpuMemArena: 19,
  SetSessionLogId: 20,
  SetSessionLogSeverityLevel: 22,
  SetSessionGraphOptimizationLevel: 23,
  SetIntraOpNumThreads: 24,
  SetInterOpNumThreads: 25,
  SessionGetInputCount: 30,
  SessionGetOutputCount: 31,
  SessionGetInputTypeInfo: 33,
  SessionGetOutputTypeInfo: 34,
  SessionGetInputName: 36,
  SessionGetOutputName: 37,
  CreateTensorAsOrtValue: 48,
  CreateTensorWithDataAsOrtValue: 49,
  GetTensorMutableData: 51,
  CastTypeInfoToTensorInfo: 55,
  GetTensorElementType: 60,
  GetDimensionsCount: 61,
  GetDimensions: 62,
  GetTensorTypeAndShape: 65,
  CreateMemoryInfo: 68,
  CreateCpuMemoryInfo: 69,
  AllocatorFree: 76,
  GetAllocatorWithDefaultOptions: 78,
  ReleaseEnv: 92,
  ReleaseStatus: 93,
  ReleaseMemoryInfo: 94,
  ReleaseSession: 95,
  ReleaseValue: 96,
  ReleaseTypeInfo: 98,
  ReleaseTensorTypeAndShapeInfo: 99,
  ReleaseSessionOptions: 100,
  SessionEndProfiling: 110,
  GetAvailableProviders: 125,
  ReleaseAvailableProviders: 126,
  AddSessionConfigEntry: 130,
  CreateAllocator: 131,
  ReleaseAllocator: 132,
  RunWithBinding: 133,
  CreateIoBinding: 134,
  ReleaseIoBinding: 135,
  BindInput: 136,
  BindOutput: 137,
  BindOutputToDevice: 138,
  GetBoundOutputValues: 140,
  ClearBoundInputs: 141,
  ClearBoundOutputs: 142,
  AddInitializer: 150,
  SynchronizeBoundOutputs: 203,
  SessionOptionsAppendExecutionProvider_CUDA_V2: 204,
  CreateCUDAProviderOptions: 205,
  UpdateCUDAProviderOptions: 206,
  ReleaseCUDAProviderOptions: 208,
} as const;

/** An opaque onnxruntime object (OrtEnv*, OrtValue*, ...): koffi hands pointers to JS as numbers/bigints. */
export type Ptr = unknown;

/** C prototypes of the slots above: OrtStatus* is `void *` (NULL = success), out-parameters `_Out_`. */
const PROTOTYPES: Record<keyof typeof SLOT, string> = {
  GetErrorCode: 'int f(void *status)',
  GetErrorMessage: 'const char *f(void *status)',
  CreateEnv: 'void *f(int level, const char *logid, _Out_ void **out)',
  CreateSession: 'void *f(void *env, const char *path, void *options, _Out_ void **out)',
  CreateSessionFromArray: 'void *f(void *env, const void *data, size_t length, void *options, _Out_ void **out)',
  Run: 'void *f(void *session, void *runOptions, const char **inputNames, void **inputs, size_t inputCount, const char **outputNames, size_t outputCount, void **outputs)',
  CreateSessionOptions: 'void *f(_Out_ void **out)',
  SetSessionExecutionMode: 'void *f(void *options, int mode)',
  EnableProfiling: 'void *f(void *options, const char *prefix)',
  DisableMemPattern: 'void *f(void *options)',
  EnableCpuMemArena: 'void *f(void *options)',
  DisableCpuMemArena: 'void *f(void *options)',
  SetSessionLogId: 'void *f(void *options, const char *logid)',
  SetSessionLogSeverityLevel: 'void *f(void *options, int level)',
  SetSessionGraphOptimizationLevel: 'void *f(void *options, int level)',
  SetIntraOpNumThreads: 'void *f(void *options, int threads)',
  SetInterOpNumThreads: 'void *f(void *options, int threads)',
  SessionGetInputCount: 'void *f(void *session, _Out_ size_t *out)',
  SessionGetOutputCount: 'void *f(void *session, _Out_ size_t *out)',
  SessionGetInputTypeInfo: 'void *f(void *session, size_t index, _Out_ void **out)',
  SessionGetOutputTypeInfo: 'void *f(void *session, size_t index, _Out_ void **out)',
  SessionGetInputName: 'void *f(void *session, size_t index, void *allocator, _Out_ void **out)',
  SessionGetOutputName: 'void *f(void *session, size_t index, void *allocator, _Out_ void **out)',
  CreateTensorAsOrtValue: 'void *f(void *allocator, const int64_t *shape, size_t shapeLength, int type, _Out_ void **out)',
  CreateTensorWithDataAsOrtValue: 'void *f(void *info, void *data, size_t bytes, const int64_t *shape, size_t shapeLength, int type, _Out_ void **out)',
  GetTensorMutableData: 'void *f(void *value, _Out_ void **out)',
  CastTypeInfoToTensorInfo: 'void *f(void *typeInfo, _Out_ void **out)',
  GetTensorElementType: 'void *f(void *info, _Out_ int *out)',
  GetDimensionsCount: 'void *f(void *info, _Out_ size_t *out)',
  GetDimensions: 'void *f(void *info, _Out_ int64_t *dims, size_t count)',
  GetTensorTypeAndShape: 'void *f(void *value, _Out_ void **out)',
  CreateMemoryInfo: 'void *f(const char *name, int allocatorType, int id, int memType, _Out_ void **out)',
  CreateCpuMemoryInfo: 'void *f(int allocatorType, int memType, _Out_ void **out)',
  AllocatorFree: 'void *f(void *allocator, void *p)',
  GetAllocatorWithDefaultOptions: 'void *f(_Out_ void **out)',
  ReleaseEnv: 'void f(void *p)',
  ReleaseStatus: 'void f(void *p)',
  ReleaseMemoryInfo: 'void f(void *p)',
  ReleaseSession: 'void f(void *p)',
  ReleaseValue: 'void f(void *p)',
  ReleaseTypeInfo: 'void f(void *p)',
  ReleaseTensorTypeAndShapeInfo: 'void f(void *p)',
  ReleaseSessionOptions: 'void f(void *p)',
  SessionEndProfiling: 'void *f(void *session, void *allocator, _Out_ void **out)',
  GetAvailableProviders: 'void *f(_Out_ void **out, _Out_ int *count)',
  ReleaseAvailableProviders: 'void *f(void *list, int count)',
  AddSessionConfigEntry: 'void *f(void *options, const char *key, const char *value)',
  CreateAllocator: 'void *f(void *session, void *info, _Out_ void **out)',
  ReleaseAllocator: 'void f(void *p)',
  RunWithBinding: 'void *f(void *session, void *runOptions, void *binding)',
  CreateIoBinding: 'void *f(void *session, _Out_ void **out)',
  ReleaseIoBinding: 'void f(void *p)',
  BindInput: 'void *f(void *binding, const char *name, void *value)',
  BindOutput: 'void *f(void *binding, const char *name, void *value)',
  BindOutputToDevice: 'void *f(void *binding, const char *name, void *info)',
  GetBoundOutputValues: 'void *f(void *binding, void *allocator, _Out_ void **out, _Out_ size_t *count)',
  ClearBoundInputs: 'void f(void *binding)',
  ClearBoundOutputs: 'void f(void *binding)',
  AddInitializer: 'void *f(void *options, const char *name, void *value)',
  SynchronizeBoundOutputs: 'void *f(void *binding)',
  SessionOptionsAppendExecutionProvider_CUDA_V2: 'void *f(void *options, void *cudaOptions)',
  CreateCUDAProviderOptions: 'void *f(_Out_ void **out)',
  UpdateCUDAProviderOptions: 'void *f(void *cudaOptions, const char **keys, const char **values, size_t count)',
  ReleaseCUDAProviderOptions: 'void f(void *p)',
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type NativeFunction = ((...args: any[]) => any) & { async: (...args: any[]) => void };
export type OrtApi = { readonly [K in keyof typeof SLOT]: NativeFunction };

/** The loaded library: its directory (where provider libraries live), version and function table. */
export interface OrtLibrary {
  /**
   * koffi's handle on the library. It must stay referenced for the life of the process: koffi unloads a library
   * whose handle is garbage-collected, and every function pointer of the table would then dangle (a segfault
   * at the next call, seen once a run allocated enough to trigger a collection).
   */
  readonly handle: unknown;
  readonly path: string;
  readonly dir: string;
  readonly version: string;
  readonly api: OrtApi;
}

/** ALIGNTUNE_ORT_LIBRARY (another onnxruntime build of the same version, e.g. with CUDA), else onnxruntime-node's own library. */
export function ortLibraryPath(): string {
  const chosen = process.env.ALIGNTUNE_ORT_LIBRARY;
  if (chosen) return chosen;
  const packageJson = createRequire(import.meta.url).resolve('onnxruntime-node/package.json');
  return join(dirname(packageJson), 'bin', 'napi-v6', process.platform, process.arch, 'libonnxruntime.so.1');
}

let loaded: OrtLibrary | undefined;

/**
 * koffi runs a native call on a stack of its own: 2 MiB for synchronous calls and 128 KiB for asynchronous ones by
 * default. onnxruntime's kernels run on the calling thread's stack (MLAS keeps packing panels there), and a native
 * thread normally has 8 MiB, so native calls get that (the pages are only touched as used). koffi takes settings
 * only before its first library load.
 */
const NATIVE_STACK_BYTES = 8 * 2 ** 20;

function configureKoffi(): void {
  const current = koffi.config() as { sync_stack_size: number; async_stack_size: number };
  if (current.sync_stack_size >= NATIVE_STACK_BYTES && current.async_stack_size >= NATIVE_STACK_BYTES) return;
  try {
    koffi.config({ ...current, sync_stack_size: NATIVE_STACK_BYTES, async_stack_size: NATIVE_STACK_BYTES });
  } catch (error) {
    throw new Error(`koffi loaded a library before this backend could give native calls ${NATIVE_STACK_BYTES / 2 ** 20} MiB stacks (${(error as Error).message}); onnxruntime runs overflow koffi's default 128 KiB async stack`);
  }
}

/** Loads the library once per process and checks its version; throws a sentence saying what is wrong. */
export function loadOrt(): OrtLibrary {
  if (loaded) return loaded;
  const path = ortLibraryPath();
  if (process.platform !== 'linux') throw new Error(`the onnxruntime C API backend supports Linux only (this is ${process.platform})`);
  if (!existsSync(path)) throw new Error(`onnxruntime's native library is missing: ${path}`);
  configureKoffi();
  const lib = koffi.load(path);
  const base = (lib.func('void *OrtGetApiBase()') as () => Ptr)();
  const [getApi, getVersion] = koffi.decode(base, koffi.array('void *', 2)) as [Ptr, Ptr];
  const version = koffi.call(getVersion, koffi.proto('const char *(void)')) as string;
  if (version !== EXPECTED_ORT_VERSION) {
    throw new Error(`libonnxruntime at ${path} is version ${version}; this backend's C API table was checked against ${EXPECTED_ORT_VERSION}`);
  }
  const table = koffi.call(getApi, koffi.proto('void *(uint32_t version)'), ORT_API_VERSION) as Ptr;
  if (!table) throw new Error(`libonnxruntime ${version} does not serve C API version ${ORT_API_VERSION}`);
  const slots = koffi.decode(table, koffi.array('void *', Math.max(...Object.values(SLOT)) + 1)) as Ptr[];
  const api = {} as Record<keyof typeof SLOT, NativeFunction>;
  // koffi type names are process-wide; a second copy of this module (sources and dist in one process) needs its own
  const suffix = createHash('sha256').update(import.meta.url).digest('hex').slice(0, 8);
  for (const [name, slot] of Object.entries(SLOT) as Array<[keyof typeof SLOT, number]>) {
    api[name] = koffi.decode(slots[slot], koffi.proto(PROTOTYPES[name].replace(/\bf\(/, `Ort${name}_${suffix}(`))) as NativeFunction;
  }
  loaded = { handle: lib, path, dir: dirname(path), version, api };
  return loaded;
}

/** Throws onnxruntime's message when a call returned a non-NULL OrtStatus* (and frees the status). */
export function check(status: Ptr, what: string): void {
  if (!status) return;
  const { api } = loadOrt();
  const message = api.GetErrorMessage(status) as string;
  api.ReleaseStatus(status);
  throw new Error(`${what}: ${message}`);
}

/** Calls an OrtStatus-returning function with one `_Out_ void **` last argument and returns what it wrote. */
export function create(what: string, fn: NativeFunction, ...args: unknown[]): Ptr {
  const out: Ptr[] = [null];
  check(fn(...args, out), what);
  return out[0];
}

/** Runs an OrtStatus-returning function on a koffi worker thread, so the event loop keeps running meanwhile. */
export function callAsync(what: string, fn: NativeFunction, ...args: unknown[]): Promise<void> {
  return new Promise((resolve, reject) => {
    fn.async(...args, (error: Error | null, status: Ptr) => {
      if (error) return reject(error);
      try {
        check(status, what);
        resolve();
      } catch (failure) {
        reject(failure as Error);
      }
    });
  });
}

/** The providers this onnxruntime build was compiled with (not proof that their libraries load). */
export function availableProviders(): string[] {
  const { api } = loadOrt();
  const list: Ptr[] = [null];
  const count = [0];
  check(api.GetAvailableProviders(list, count), 'GetAvailableProviders');
  const names = decodePointers(list[0], count[0]!).map(decodeString);
  check(api.ReleaseAvailableProviders(list[0], count[0]), 'ReleaseAvailableProviders');
  return names;
}

/** `count` pointers from a C array of pointers. */
export function decodePointers(pointer: Ptr, count: number): Ptr[] {
  return koffi.decode(pointer, koffi.array('void *', count)) as Ptr[];
}

/** A NUL-terminated C string. */
export function decodeString(pointer: Ptr): string {
  return koffi.decode(pointer, 'char', -1) as string;
}
