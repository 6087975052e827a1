/**
 * Whether the CUDA path can run here, and if not, everything that is missing. onnxruntime loads its CUDA provider
 * from the directory of the core library (`libonnxruntime_providers_shared.so` + `libonnxruntime_providers_cuda.so`
 * beside `libonnxruntime.so.1`: where onnxruntime-node's install script puts them, or a GPU build named by
 * ALIGNTUNE_ORT_LIBRARY); the provider must be the core library's exact version, since a mismatch is undefined
 * behaviour, and a CUDA driver with the requested GPU must be present.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import koffi from 'koffi';
import { availableProviders, loadOrt } from './ort-api.js';

export const CUDA_PROVIDER_LIBRARIES = ['libonnxruntime_providers_shared.so', 'libonnxruntime_providers_cuda.so'] as const;

/** undefined when CUDA can run on `deviceId`; else a sentence listing what is missing. */
export function probeCuda({ deviceId }: { deviceId: number }): string | undefined {
  let dir: string;
  let version: string;
  try {
    ({ dir, version } = loadOrt());
  } catch (error) {
    return (error as Error).message;
  }
  const missing: string[] = [];
  if (!availableProviders().includes('CUDAExecutionProvider')) missing.push(`this onnxruntime ${version} build has no CUDA execution provider`);
  missing.push(...providerProblems(dir, version));
  const gpus = cudaDeviceCount();
  if (typeof gpus === 'string') missing.push(gpus);
  else if (deviceId >= gpus) missing.push(`device_id ${deviceId} is not a GPU here (${gpus} visible)`);
  return missing.length ? `${missing.join('; ')} (set ALIGNTUNE_ORT_LIBRARY to a libonnxruntime.so.1 ${version} whose directory holds its CUDA provider libraries)` : undefined;
}

/** Missing provider libraries in `dir`, or ones that are not exactly `version`. */
export function providerProblems(dir: string, version: string): string[] {
  const absent = CUDA_PROVIDER_LIBRARIES.filter((name) => !existsSync(join(dir, name)));
  if (absent.length) return [`CUDA provider libraries missing in ${dir}: ${absent.join(', ')}`];
  const cuda = join(dir, 'libonnxruntime_providers_cuda.so');
  return embedsVersion(readFileSync(cuda), version) ? [] : [`${cuda} is not onnxruntime ${version} (no "${version}" version string in it): provider and core library must match exactly`];
}

/** Whether the NUL-terminated string `version` occurs in a library's bytes (its ORT_VERSION constant). */
function embedsVersion(bytes: Uint8Array, version: string): boolean {
  const needle = Buffer.from(`\0${version}\0`);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).includes(needle);
}

/** GPUs the CUDA driver sees, or why there is no driver to ask. */
function cudaDeviceCount(): number | string {
  let driver: ReturnType<typeof koffi.load>;
  try {
    driver = koffi.load('libcuda.so.1');
  } catch {
    return 'no CUDA driver (libcuda.so.1 does not load)';
  }
  try {
    const cuInit = driver.func('int cuInit(unsigned int flags)') as (flags: number) => number;
    const cuDeviceGetCount = driver.func('int cuDeviceGetCount(_Out_ int *count)') as (count: number[]) => number;
    const init = cuInit(0);
    if (init !== 0) return `the CUDA driver failed to initialise (CUresult ${init})`;
    const count = [0];
    const status = cuDeviceGetCount(count);
    return status === 0 ? count[0]! : `cuDeviceGetCount failed (CUresult ${status})`;
  } finally {
    driver.unload();
  }
}
