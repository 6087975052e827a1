import { listSupportedBackends, type InferenceSession } from 'onnxruntime-node';
import {
  compileCacheKey,
  SessionCache,
  type CachedSession,
  type CompileOptions,
  type CompiledGraph,
  type GraphExecutor,
  type HostTensor,
  isResident,
  type PlacementPolicy,
  type RunOptions,
  type RunValue,
  computeThreads,
} from '@aligntune/core/engine';
import { ComputeBackend } from '@aligntune/core/kernel';
import { InProcessHost, type SessionHost, type SessionInfo } from './session-host.js';
import { checkHostTensor } from './tensor-convert.js';
import { WorkerHost } from './worker-host.js';

export interface OnnxRuntimeBackendOptions {
  /** onnxruntime execution providers, in priority order. Default `['cpu']`; a CUDA plugin passes `[{ name: 'cuda' }]`. */
  executionProviders?: InferenceSession.ExecutionProviderConfig[];
  /** Threads inside one kernel. Default: this rank's share of the cores (`computeThreads()`). */
  intraOpNumThreads?: number;
  /** Threads across independent nodes (only with `executionMode: 'parallel'`). Default 1. */
  interOpNumThreads?: number;
  executionMode?: 'sequential' | 'parallel';
  /** Default 'all'. */
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'layout' | 'all';
  enableCpuMemArena?: boolean;
  enableMemPattern?: boolean;
  /** 0 verbose … 4 fatal. Default 3 (errors only; onnxruntime's warnings go to stderr otherwise). */
  logSeverityLevel?: 0 | 1 | 2 | 3 | 4;
  /** onnxruntime session config entries (`AddConfigEntry`), e.g. `{ 'session.intra_op.allow_spinning': '0' }`. */
  sessionConfig?: Record<string, string>;
  /** Profile every compiled graph to `<prefix>_<timestamp>.json` (a per-compile prefix overrides it). */
  profileFilePrefix?: string;
  /**
   * Run sessions on a worker thread so the main event loop stays responsive during `run()`.
   * Default false: in-process feeds are zero-copy and a run has no message round trip (see docs/backends.md).
   */
  worker?: boolean;
  /** Optimizer steps the engine should fuse into one run (ONNX Loop). Default 1 on CPU. */
  stepsPerRun?: number;
}

/** Why this backend cannot serve a request here: onnxruntime-node built without its CPU provider, or a device_id the host CPU lacks. */
export function probeCpu({ deviceId }: { deviceId: number }): string | undefined {
  if (!listSupportedBackends().some((backend) => backend.name === 'cpu')) return 'this onnxruntime-node build has no CPU execution provider';
  return deviceId === 0 ? undefined : `the host CPU is one device: device_id must be 0 (got ${deviceId})`;
}

/** Per-compile choices that shape a session. */
interface SessionChoices {
  externalData: CompileOptions['externalData'];
  profileFilePrefix: string | undefined;
  reuseMemory: boolean;
}

type ResolvedOptions = Required<Omit<OnnxRuntimeBackendOptions, 'profileFilePrefix' | 'sessionConfig'>> &
  Pick<OnnxRuntimeBackendOptions, 'profileFilePrefix' | 'sessionConfig'>;

function resolveOptions(options: OnnxRuntimeBackendOptions): ResolvedOptions {
  const resolved: ResolvedOptions = {
    executionProviders: ['cpu'],
    intraOpNumThreads: computeThreads(),
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    // On: without it the d=768 block step of bench/engine.mjs ran ~1.7× slower (fresh page faults every run);
    // off trades that for memory (bench/train.mjs DPO peak RSS 6.93 → 5.86 GiB).
    enableCpuMemArena: true,
    enableMemPattern: true,
    logSeverityLevel: 3,
    worker: false,
    stepsPerRun: 1,
    ...withoutUndefined(options),
  };
  if (!Number.isInteger(resolved.stepsPerRun) || resolved.stepsPerRun < 1) {
    throw new Error(`stepsPerRun must be a positive integer, got ${resolved.stepsPerRun}`);
  }
  if (!Number.isInteger(resolved.intraOpNumThreads) || resolved.intraOpNumThreads < 1) {
    throw new Error(`intraOpNumThreads must be a positive integer, got ${resolved.intraOpNumThreads}`);
  }
  return resolved;
}

function withoutUndefined<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as Partial<T>;
}

/**
 * Compute backend 'cpu': executes engine graphs with onnxruntime-node. Constructed without arguments by the
 * kernel; call `configure()` before the first `compile()` to change threads, worker mode, profiling, etc.
 * Subclasses (a CUDA plugin) change only `id`, `executionProviders` and `stepsPerRun`.
 */
@ComputeBackend('cpu', {
  description: 'Runs engine graphs with onnxruntime-node on the CPU (sessions cached by model hash; optional worker thread)',
  device: 'cpu',
  probe: probeCpu,
})
export class OnnxRuntimeBackend implements GraphExecutor {
  readonly id: string = 'cpu';
  private options: ResolvedOptions = resolveOptions({});
  private host?: SessionHost;
  /** Sessions being created or ready, shared by every compile of the same bytes. */
  private readonly cache = new SessionCache<Promise<SessionInfo>>();

  /** Sessions created vs. compiles served from the cache; for tests and diagnostics. */
  get stats(): SessionCache<Promise<SessionInfo>>['stats'] {
    return this.cache.stats;
  }

  configure(options: OnnxRuntimeBackendOptions): this {
    if (this.cache.size > 0) throw new Error('OnnxRuntimeBackend.configure() must be called before compile()');
    this.options = resolveOptions({ ...this.options, ...withoutUndefined(options) });
    return this;
  }

  get settings(): Readonly<ResolvedOptions> {
    return this.options;
  }

  get placement(): PlacementPolicy {
    return { stepsPerRun: this.options.stepsPerRun };
  }

  async compile(model: Uint8Array, options: CompileOptions = {}): Promise<CompiledGraph> {
    const label = options.label ?? 'unnamed graph';
    const profileFilePrefix = options.profileFilePrefix ?? this.options.profileFilePrefix;
    const reuseMemory = options.reuseMemory ?? true;
    const key = compileCacheKey(model, options.externalData, profileFilePrefix, reuseMemory);
    const entry = this.cache.acquire(key, profileFilePrefix !== undefined, () =>
      this.createSession(model, label, key, { externalData: options.externalData, profileFilePrefix, reuseMemory }),
    );
    const info = await entry.session.catch((error: unknown) => {
      this.cache.release(entry); // a failed session is never freed: there is none
      throw error;
    });
    return new OnnxRuntimeGraph(label, info, this.sessionHost(), () => this.releaseRef(entry));
  }

  async dispose(): Promise<void> {
    const entries = this.cache.drain();
    const host = this.host;
    this.host = undefined;
    if (!host) return;
    // Profiles are flushed explicitly; everything else goes with the host.
    for (const entry of entries.filter((e) => e.profiling)) {
      const info = await entry.session.catch(() => undefined);
      if (info) await host.release(info.handle, true);
    }
    await host.dispose();
  }

  private async createSession(model: Uint8Array, label: string, key: string, options: SessionChoices): Promise<SessionInfo> {
    try {
      return await this.sessionHost().create(model, this.sessionOptions(label, options));
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new Error(`onnxruntime rejected graph "${label}" (model sha256 ${key.slice(0, 12)}): ${message}`, { cause: error });
    }
  }

  private sessionOptions(label: string, { externalData, profileFilePrefix, reuseMemory }: SessionChoices): InferenceSession.SessionOptions {
    const o = this.options;
    return {
      executionProviders: o.executionProviders,
      intraOpNumThreads: o.intraOpNumThreads,
      interOpNumThreads: o.interOpNumThreads,
      executionMode: o.executionMode,
      graphOptimizationLevel: o.graphOptimizationLevel,
      // a graph that asks not to reuse memory gets neither an arena nor a memory pattern (both hold memory between runs)
      enableCpuMemArena: o.enableCpuMemArena && reuseMemory,
      enableMemPattern: o.enableMemPattern && reuseMemory,
      logSeverityLevel: o.logSeverityLevel,
      logId: label,
      ...(profileFilePrefix !== undefined ? { enableProfiling: true, profileFilePrefix } : {}),
      ...(externalData?.length ? { externalData: externalData.map(({ path, data }) => ({ path, data })) } : {}),
      ...(o.sessionConfig ? { extra: o.sessionConfig } : {}),
    };
  }

  private sessionHost(): SessionHost {
    this.host ??= this.options.worker ? new WorkerHost() : new InProcessHost();
    return this.host;
  }

  private async releaseRef(entry: CachedSession<Promise<SessionInfo>>): Promise<void> {
    if (!this.cache.release(entry)) return;
    const info = await entry.session;
    await this.host?.release(info.handle, entry.profiling);
  }
}

/** A caller's handle on a cached session. */
class OnnxRuntimeGraph implements CompiledGraph {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  private disposed = false;

  constructor(
    private readonly label: string,
    private readonly info: SessionInfo,
    private readonly host: SessionHost,
    private readonly release: () => Promise<void>,
  ) {
    this.inputNames = info.inputNames;
    this.outputNames = info.outputNames;
  }

  /** This backend keeps nothing resident: resident feeds or outputs (another backend's) are refused. */
  async run(feeds: Readonly<Record<string, RunValue>>, fetches?: readonly string[], options: RunOptions = {}): Promise<Record<string, HostTensor>> {
    if (this.disposed) throw new Error(`graph "${this.label}" was disposed`);
    const wanted = fetches ?? this.outputNames;
    const hostFeeds = this.check(feeds, wanted, options);
    try {
      return await this.host.run(this.info.handle, hostFeeds, wanted);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new Error(`graph "${this.label}": onnxruntime run failed: ${message}`, { cause: error });
    }
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.release();
  }

  /** Fails before onnxruntime does, with every problem named at once; returns the feeds as host tensors. */
  private check(feeds: Readonly<Record<string, RunValue>>, fetches: readonly string[], options: RunOptions): Record<string, HostTensor> {
    const problems: string[] = [];
    const resident = [...Object.keys(options.into ?? {}), ...Object.entries(feeds).filter(([, v]) => isResident(v)).map(([name]) => name)];
    if (resident.length) problems.push(`resident values (${resident.join(', ')}) belong to another compute backend: onnxruntime-node keeps none`);
    const hostFeeds = Object.fromEntries(Object.entries(feeds).filter(([, v]) => !isResident(v))) as Record<string, HostTensor>;
    const missing = this.inputNames.filter((name) => !(name in feeds));
    if (missing.length) problems.push(`missing feeds: ${missing.join(', ')}`);
    const unknown = Object.keys(feeds).filter((name) => !this.inputNames.includes(name));
    if (unknown.length) problems.push(`unknown feeds: ${unknown.join(', ')} (inputs: ${this.inputNames.join(', ')})`);
    const badFetches = fetches.filter((name) => !this.outputNames.includes(name));
    if (badFetches.length) problems.push(`unknown fetches: ${badFetches.join(', ')} (outputs: ${this.outputNames.join(', ')})`);
    for (const [name, tensor] of Object.entries(hostFeeds)) {
      const expected = this.info.inputTypes[name];
      if (expected && tensor.dtype !== expected) problems.push(`feed "${name}" is ${tensor.dtype}, the graph expects ${expected}`);
      else if (expected) collect(problems, () => checkHostTensor(name, tensor));
    }
    if (problems.length) throw new Error(`graph "${this.label}": ${problems.join('; ')}`);
    return hostFeeds;
  }
}

function collect(problems: string[], check: () => void): void {
  try {
    check();
  } catch (error) {
    problems.push(error instanceof Error ? error.message : String(error));
  }
}
