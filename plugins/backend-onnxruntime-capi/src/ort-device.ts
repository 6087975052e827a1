/**
 * Where resident values live and how they get there: host memory (the CPU provider; reads and writes are
 * memcpy through a view of onnxruntime's buffer) or CUDA device memory (the CUDA provider; an allocator from a
 * CUDA session, copies run as Identity graphs with one side bound to host memory).
 */
import { encodeModel, OnnxDataType, type DType, type HostTensor } from '@aligntune/core/engine';
import { check, create, loadOrt, type Ptr } from './ort-api.js';
import { OrtSession, defaultAllocator, type SessionSettings } from './ort-session.js';
import { allocateValue, describeValue, elementType, hostBytes, readHost, releaseValue, wrapHost } from './ort-value.js';

export interface OrtDevice {
  readonly kind: 'cpu' | 'cuda';
  /** Where fetched outputs are allocated (always host memory: they are copied out to JS). */
  readonly hostMemory: Ptr;
  /** Adds this device's execution provider to a session's options (none for the CPU). */
  appendProvider?(options: Ptr): void;
  allocate(dtype: DType, dims: readonly number[]): Ptr;
  read(value: Ptr): HostTensor;
  write(value: Ptr, tensor: HostTensor): void;
  dispose(): void;
}

const ORT_ARENA_ALLOCATOR = 1;
const ORT_MEM_TYPE_DEFAULT = 0;

export function hostMemoryInfo(): Ptr {
  return create('CreateCpuMemoryInfo', loadOrt().api.CreateCpuMemoryInfo, ORT_ARENA_ALLOCATOR, ORT_MEM_TYPE_DEFAULT);
}

export class CpuDevice implements OrtDevice {
  readonly kind = 'cpu';
  readonly hostMemory = hostMemoryInfo();

  allocate(dtype: DType, dims: readonly number[]): Ptr {
    return allocateValue(defaultAllocator(), dtype, dims);
  }

  read(value: Ptr): HostTensor {
    return readHost(value);
  }

  write(value: Ptr, tensor: HostTensor): void {
    const bytes = new Uint8Array(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength);
    hostBytes(value, bytes.byteLength).set(bytes);
  }

  dispose(): void {
    loadOrt().api.ReleaseMemoryInfo(this.hostMemory);
  }
}

/**
 * CUDA device memory on one GPU. Not run on any machine yet (see docs/backends.md): the backend's probe refuses
 * before this is constructed wherever the driver, a GPU or the provider libraries are missing.
 */
export class CudaDevice implements OrtDevice {
  readonly kind = 'cuda';
  readonly hostMemory = hostMemoryInfo();
  private readonly deviceMemory: Ptr;
  private readonly copies = new Map<DType, OrtSession>();
  private allocator?: Ptr;

  constructor(
    private readonly env: Ptr,
    private readonly deviceId: number,
    private readonly settings: Omit<SessionSettings, 'appendProvider' | 'logId'>,
  ) {
    this.deviceMemory = create('CreateMemoryInfo', loadOrt().api.CreateMemoryInfo, 'Cuda', ORT_ARENA_ALLOCATOR, deviceId, ORT_MEM_TYPE_DEFAULT);
  }

  appendProvider(options: Ptr): void {
    const { api } = loadOrt();
    const cuda = create('CreateCUDAProviderOptions', api.CreateCUDAProviderOptions);
    try {
      check(api.UpdateCUDAProviderOptions(cuda, ['device_id'], [String(this.deviceId)], 1), 'UpdateCUDAProviderOptions');
      check(api.SessionOptionsAppendExecutionProvider_CUDA_V2(options, cuda), 'SessionOptionsAppendExecutionProvider_CUDA_V2');
    } finally {
      api.ReleaseCUDAProviderOptions(cuda);
    }
  }

  allocate(dtype: DType, dims: readonly number[]): Ptr {
    this.allocator ??= create('CreateAllocator', loadOrt().api.CreateAllocator, this.copySession(dtype).handle, this.deviceMemory);
    return allocateValue(this.allocator, dtype, dims);
  }

  /** An Identity run from the device value to an output onnxruntime allocates in host memory. */
  read(value: Ptr): HostTensor {
    return this.copySession(value).runBlocking(new Map([['x', value]]), new Map(), ['y'], this.hostMemory).y!;
  }

  /** An Identity run from the wrapped host tensor into the device value. */
  write(value: Ptr, tensor: HostTensor): void {
    const host = wrapHost(tensor, this.hostMemory);
    try {
      this.copySession(value).runBlocking(new Map([['x', host]]), new Map([['y', value]]), [], this.hostMemory);
    } finally {
      releaseValue(host);
    }
  }

  dispose(): void {
    const { api } = loadOrt();
    if (this.allocator) api.ReleaseAllocator(this.allocator);
    for (const session of this.copies.values()) session.release(false);
    api.ReleaseMemoryInfo(this.deviceMemory);
    api.ReleaseMemoryInfo(this.hostMemory);
  }

  /** The Identity session of `value`'s dtype on this GPU (the first one also gives the device allocator). */
  private copySession(value: Ptr | DType): OrtSession {
    const dtype = typeof value === 'string' ? (value as DType) : describeValue(value).dtype;
    let session = this.copies.get(dtype);
    if (!session) {
      session = OrtSession.create(this.env, identityModel(dtype), { ...this.settings, logId: `copy-${dtype}`, appendProvider: (o) => this.appendProvider(o) });
      this.copies.set(dtype, session);
    }
    return session;
  }
}

/** y = Identity(x) over any shape of one dtype. */
function identityModel(dtype: DType): Uint8Array {
  const type = elementType(dtype) as OnnxDataType;
  const info = (name: string) => ({ name, elemType: type, shape: undefined });
  return encodeModel({
    irVersion: 10,
    opsetImport: [{ domain: '', version: 21 }],
    graph: { name: `identity_${dtype}`, node: [{ opType: 'Identity', input: ['x'], output: ['y'] }], input: [info('x')], output: [info('y')], initializer: [] },
  });
}
