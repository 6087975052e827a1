import type { ContributionOptions, Constructor } from './contribution.js';
import type { ContributionRecord } from './contribution-registry.js';
import type { ExtensionKind } from './extension-point.js';
import { Kernel } from './kernel.js';

/**
 * A string-keyed registry for one extension kind, backed by the process-wide kernel: a script registers a
 * reward (or loader, task, ...) class without writing a package, and config validation sees it at once.
 */
export class KindRegistry {
  constructor(
    readonly kind: ExtensionKind,
    private readonly kernel: () => Kernel = Kernel.default,
  ) {}

  /** Registers `cls` under `id`; throws if the id is taken, naming both sources. */
  register(id: string, cls: Constructor, options?: ContributionOptions & { source?: string }): void {
    this.kernel().register(this.kind, id, cls, options);
  }

  unregister(id: string): boolean {
    return this.kernel().unregister(this.kind, id);
  }

  has(id: string): boolean {
    return this.kernel().has(this.kind, id);
  }

  /** Ids registered or declared by installed plugins. */
  list(): string[] {
    return this.kernel().ids(this.kind);
  }

  /** The registration (class, metadata, source), importing a lazy plugin if needed. */
  get(id: string): Promise<ContributionRecord> {
    return this.kernel().ensure(this.kind, id);
  }
}

export const AlgorithmRegistry = new KindRegistry('algorithm');
/** Dataset loaders (`local`, `huggingface`, ...). */
export const DatasetRegistry = new KindRegistry('dataset-loader');
export const SchemaAdapterRegistry = new KindRegistry('schema-adapter');
export const RewardRegistry = new KindRegistry('reward');
export const TaskRegistry = new KindRegistry('task');
export const MetricLoggerRegistry = new KindRegistry('metric-logger');
export const DistributedBackendRegistry = new KindRegistry('distributed-backend');
export const ComputeBackendRegistry = new KindRegistry('compute-backend');
export const ArchitectureRegistry = new KindRegistry('architecture');
