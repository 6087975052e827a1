import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  compileCacheKey,
  DTYPE_ARRAY,
  elementCount,
  isResident,
  SessionCache,
  type CachedSession,
  type CompileOptions,
  type CompiledGraph,
  type DType,
  type GraphExecutor,
  type HostTensor,
  type PlacementPolicy,
  type ResidentTensor,
  type ResidentValues,
  type RunOptions,
  type RunValue,
  computeThreads,
} from '@aligntune/core/engine';
import { ComputeBackend, Tokens, inject } from '@aligntune/core/kernel';
import { probeCuda } from './cuda-probe.js';
import { create, loadOrt, type Ptr } from './ort-api.js';
import { CpuDevice, CudaDevice, type OrtDevice } from './ort-device.js';
import { OrtSession, type SessionSettings } from './ort-session.js';
import { releaseValue, wrapHost } from './ort-value.js';
import { SharedInitializers, type SessionInitializers } from './shared-initializers.js';
import { OrtResidentTensor } from './resident-tensor.js';

export interface CapiBackendOptions {
  /** Threads inside one kernel. Default: this rank's share of the cores (`computeThreads()`). */
  intraOpNumThreads?: number;
  /** Default 'all', as the onnxruntime-node backend. */
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  /** 0 verbose … 4 fatal. Default 3 (errors only). */
  logSeverityLevel?: 0 | 1 | 2 | 3 | 4;
  /** onnxruntime session config entries (`AddSessionConfigEntry`). */
  sessionConfig?: Record<string, string>;
  /** Profile every compiled graph to `<prefix>_<timestamp>.json` (a per-compile prefix overrides it). */
  profileFilePrefix?: string;
}

const OPTIMIZATION_LEVEL = { disabled: 0, basic: 1, extended: 2, all: 99 } as const;
const ORT_LOGGING_LEVEL_ERROR = 3;

/** Why the C API backend cannot serve the host CPU here: the library does not load, or a device_id other than 0. */
export function probeCapiCpu({ deviceId }: { deviceId: number }): string | undefined {
  try {
    loadOrt();
  } catch (error) {
    return (error as Error).message;
  }
  return deviceId === 0 ? undefined : `the host CPU is one device: device_id must be 0 (got ${deviceId})`;
}

let env: Ptr;
/** One OrtEnv per process (onnxruntime keeps a single environment), never released: sessions of every backend share it. */
function ortEnv(): Ptr {
  env ??= create('CreateEnv', loadOrt().api.CreateEnv, ORT_LOGGING_LEVEL_ERROR, 'aligntune');
  return env;
}

/**
 * Compute backend 'ort-capi': engine graphs on onnxruntime's C API (koffi), host CPU. Sessions are cached by a
 * hash of the model bytes; runs go through an IoBinding on a koffi worker thread (the event loop keeps running);
 * values can stay resident in onnxruntime's memory between runs (`resident`), so a trainer binds a step's
 * outputs straight into its next state set. Subclassed for CUDA with another device.
 */
@ComputeBackend('ort-capi', {
  description: "Runs engine graphs through onnxruntime's C API (koffi) on the CPU; weights and optimizer state stay inside onnxruntime between steps",
  device: 'cpu',
  priority: 10,
  probe: probeCapiCpu,
})
export class CapiBackend implements GraphExecutor {
  readonly id: string = 'ort-capi';
  readonly placement: PlacementPolicy = { stepsPerRun: 1 };
  readonly resident: ResidentValues = { create: (source) => this.createResident(source) };
  protected settings: Omit<SessionSettings, 'logId' | 'appendProvider'> = {
    intraOpNumThreads: computeThreads(),
    graphOptimizationLevel: OPTIMIZATION_LEVEL.all,
    arena: true,
    logSeverityLevel: ORT_LOGGING_LEVEL_ERROR,
  };
  /** The GPU (CUDA subclass); the host CPU is device 0. */
  protected deviceId = 0;
  private readonly cache = new SessionCache<OrtSession>();
  private readonly shared = new SharedInitializers();
  private readonly sessionInitializers = new Map<OrtSession, SessionInitializers>();
  private device?: OrtDevice;

  /** Sessions created vs. compiles served from the cache; for tests and diagnostics. */
  get stats(): SessionCache<OrtSession>['stats'] {
    return this.cache.stats;
  }

  /** The frozen weights its sessions share (one value each, however many sessions use it); for tests and diagnostics. */
  get sharedInitializers(): SharedInitializers['stats'] {
    return this.shared.stats;
  }

  configure(options: CapiBackendOptions): this {
    if (this.cache.size > 0) throw new Error('CapiBackend.configure() must be called before compile()');
    const threads = options.intraOpNumThreads ?? this.settings.intraOpNumThreads;
    if (!Number.isInteger(threads) || threads < 1) throw new Error(`intraOpNumThreads must be a positive integer, got ${threads}`);
    this.settings = {
      ...this.settings,
      intraOpNumThreads: threads,
      graphOptimizationLevel: OPTIMIZATION_LEVEL[options.graphOptimizationLevel ?? 'all'],
      logSeverityLevel: options.logSeverityLevel ?? this.settings.logSeverityLevel,
      sessionConfig: options.sessionConfig ?? this.settings.sessionConfig,
      profileFilePrefix: options.profileFilePrefix ?? this.settings.profileFilePrefix,
    };
    return this;
  }

  async compile(model: Uint8Array, options: CompileOptions = {}): Promise<CompiledGraph> {
    const label = options.label ?? 'unnamed graph';
    const profileFilePrefix = options.profileFilePrefix ?? this.settings.profileFilePrefix;
    const arena = options.reuseMemory ?? true;
    const key = compileCacheKey(model, options.externalData, profileFilePrefix, arena);
    const entry = this.cache.acquire(key, profileFilePrefix !== undefined, () => {
      const device = this.ensureDevice();
      const initializers = this.shared.acquire(options.externalData ?? [], device.hostMemory);
      const settings: SessionSettings = { ...this.settings, arena, profileFilePrefix, logId: label, appendProvider: device.appendProvider?.bind(device), initializers: initializers.byName };
      try {
        const session = createSession(model, options.externalData, settings);
        this.sessionInitializers.set(session, initializers);
        return session;
      } catch (error) {
        initializers.release();
        throw new Error(`onnxruntime rejected graph "${label}" (model sha256 ${key.slice(0, 12)}): ${(error as Error).message}`, { cause: error });
      }
    });
    return new CapiGraph(label, entry.session, this, () => this.releaseRef(entry));
  }

  async dispose(): Promise<void> {
    for (const entry of this.cache.drain()) this.releaseSession(entry);
    this.device?.dispose();
    this.device = undefined;
  }

  /** The device values live on (created on first use). */
  ensureDevice(): OrtDevice {
    this.device ??= this.createDevice();
    return this.device;
  }

  protected createDevice(): OrtDevice {
    return new CpuDevice();
  }

  /** Whether `value` is a live resident tensor of this backend instance. */
  owns(value: ResidentTensor): value is OrtResidentTensor {
    return value instanceof OrtResidentTensor && value.owner === this && !value.disposed;
  }

  private createResident(source: HostTensor | { dtype: DType; dims: readonly number[] }): ResidentTensor {
    const device = this.ensureDevice();
    const dims = [...source.dims];
    const tensor = new OrtResidentTensor(this, device.allocate(source.dtype, dims), source.dtype, dims, device);
    tensor.write('data' in source ? source : { dtype: source.dtype, dims, data: new DTYPE_ARRAY[source.dtype](elementCount(dims)) });
    return tensor;
  }

  private releaseRef(entry: CachedSession<OrtSession>): void {
    if (this.cache.release(entry)) this.releaseSession(entry);
  }

  /** The session, then its hold on the shared initializers (which outlive it while another session uses them). */
  private releaseSession(entry: CachedSession<OrtSession>): void {
    entry.session.release(entry.profiling);
    this.sessionInitializers.get(entry.session)?.release();
    this.sessionInitializers.delete(entry.session);
  }
}

/** Compute backend 'ort-capi-cuda': the same executor with the CUDA execution provider and device-resident values. */
@ComputeBackend('ort-capi-cuda', {
  description: "Runs engine graphs through onnxruntime's C API with the CUDA execution provider; state resident in GPU memory (not yet run on a GPU)",
  device: 'cuda',
  priority: 10,
  probe: probeCuda,
})
export class CapiCudaBackend extends CapiBackend {
  override readonly id: string = 'ort-capi-cuda';
  /** CUDA's tensor cores run float16 and bfloat16 GEMMs (bfloat16 from Ampere on); unverified here, no GPU was lent. */
  readonly computeDtypes = ['float16', 'bfloat16'] as const;

  constructor(@inject(Tokens.Params) params: { device_id?: number } = {}) {
    super();
    this.deviceId = params.device_id ?? 0;
  }

  protected override createDevice(): OrtDevice {
    const refusal = probeCuda({ deviceId: this.deviceId });
    if (refusal !== undefined) throw new Error(`compute backend "ort-capi-cuda" cannot run here: ${refusal}`);
    return new CudaDevice(ortEnv(), this.deviceId, this.settings);
  }
}

/**
 * Model bytes in memory; with external weights, written to a private directory first (their locations are file
 * names). A weight that comes as a shared initializer (settings) gets an empty sparse file of its size instead:
 * onnxruntime checks that an external location exists when it loads the model, and reads nothing from it since
 * AddInitializer gives the value.
 */
function createSession(model: Uint8Array, externalData: CompileOptions['externalData'], settings: SessionSettings): OrtSession {
  if (!externalData?.length) return OrtSession.create(ortEnv(), model, settings);
  const dir = mkdtempSync(join(tmpdir(), 'aligntune-ort-'));
  try {
    for (const { path, data, initializer } of externalData) {
      if (initializer && settings.initializers?.has(initializer.name)) truncateSync(writeEmpty(join(dir, path)), data.byteLength);
      else writeFileSync(join(dir, path), data);
    }
    writeFileSync(join(dir, 'model.onnx'), model);
    return OrtSession.fromFile(ortEnv(), join(dir, 'model.onnx'), settings);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function writeEmpty(path: string): string {
  writeFileSync(path, new Uint8Array(0));
  return path;
}

/** A caller's handle on a cached session. */
class CapiGraph implements CompiledGraph {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  private disposed = false;

  constructor(
    private readonly label: string,
    private readonly session: OrtSession,
    private readonly backend: CapiBackend,
    private readonly release: () => void,
  ) {
    this.inputNames = session.inputNames;
    this.outputNames = session.outputNames;
  }

  async run(feeds: Readonly<Record<string, RunValue>>, fetches?: readonly string[], options: RunOptions = {}): Promise<Record<string, HostTensor>> {
    if (this.disposed) throw new Error(`graph "${this.label}" was disposed`);
    const into = options.into ?? {};
    const wanted = fetches ?? this.outputNames.filter((name) => !(name in into));
    this.check(feeds, wanted, into, new Set(options.inPlace));
    const device = this.backend.ensureDevice();
    const inputs = new Map<string, Ptr>();
    const wrapped: Ptr[] = [];
    try {
      for (const [name, value] of Object.entries(feeds)) {
        if (isResident(value)) inputs.set(name, (value as OrtResidentTensor).value);
        else {
          const ortValue = wrapHost(value, device.hostMemory);
          wrapped.push(ortValue);
          inputs.set(name, ortValue);
        }
      }
      const outputs = new Map(Object.entries(into).map(([name, tensor]) => [name, (tensor as OrtResidentTensor).value]));
      // `feeds` stays referenced by this frame until the run settles, so wrapped host memory cannot be collected
      return await this.session.run(inputs, outputs, wanted, device.hostMemory);
    } catch (error) {
      throw new Error(`graph "${this.label}": onnxruntime run failed: ${(error as Error).message}`, { cause: error });
    } finally {
      for (const value of wrapped) releaseValue(value);
    }
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    this.release();
  }

  /** Fails before onnxruntime does, with every problem named at once. */
  private check(feeds: Readonly<Record<string, RunValue>>, fetches: readonly string[], into: Readonly<Record<string, ResidentTensor>>, inPlace: ReadonlySet<string>): void {
    const problems: string[] = [];
    const missing = this.inputNames.filter((name) => !(name in feeds));
    if (missing.length) problems.push(`missing feeds: ${missing.join(', ')}`);
    const unknown = Object.keys(feeds).filter((name) => !this.inputNames.includes(name));
    if (unknown.length) problems.push(`unknown feeds: ${unknown.join(', ')} (inputs: ${this.inputNames.join(', ')})`);
    const badOutputs = [...fetches, ...Object.keys(into)].filter((name) => !this.outputNames.includes(name));
    if (badOutputs.length) problems.push(`unknown fetches: ${badOutputs.join(', ')} (outputs: ${this.outputNames.join(', ')})`);
    const both = fetches.filter((name) => name in into);
    if (both.length) problems.push(`outputs both fetched and written into a resident tensor: ${both.join(', ')}`);
    const fed = new Set(Object.values(feeds));
    const unproven = Object.entries(into).filter(([name, tensor]) => fed.has(tensor) && !inPlace.has(name)).map(([name]) => name);
    if (unproven.length) problems.push(`outputs written into a tensor that is also fed, (in place is unsafe unless the graph proves every reader runs first: alternate two sets, or name the output in inPlace): ${unproven.join(', ')}`);
    for (const [name, tensor] of Object.entries(into)) if (!this.backend.owns(tensor)) problems.push(`output "${name}": not a live resident tensor of this backend`);
    for (const [name, value] of Object.entries(feeds)) problems.push(...this.feedProblems(name, value));
    if (problems.length) throw new Error(`graph "${this.label}": ${problems.join('; ')}`);
  }

  private feedProblems(name: string, value: RunValue): string[] {
    if (isResident(value) && !this.backend.owns(value)) return [`feed "${name}": not a live resident tensor of this backend`];
    const expected = this.session.inputTypes[name];
    if (expected && value.dtype !== expected) return [`feed "${name}" is ${value.dtype}, the graph expects ${expected}`];
    if (isResident(value)) return [];
    const Typed = DTYPE_ARRAY[value.dtype];
    if (!Typed) return [`feed "${name}": unknown dtype "${value.dtype}"`];
    if (!(value.data instanceof Typed)) return [`feed "${name}": dtype ${value.dtype} needs a ${Typed.name}, got ${value.data.constructor.name}`];
    if (value.dims.some((dim) => !Number.isInteger(dim) || dim < 0)) return [`feed "${name}": invalid dims [${value.dims.join(', ')}]`];
    const count = elementCount(value.dims);
    if (value.data.length !== count) return [`feed "${name}": dims [${value.dims.join(', ')}] hold ${count} elements, data has ${value.data.length}`];
    return [];
  }
}
