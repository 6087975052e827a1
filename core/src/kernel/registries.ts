import type { ContributionOptions, Constructor } from './contribution.js';
import type { ContributionRecord } from './contribution-registry.js';
import { defaultKernel } from './default-kernel.js';
import type { ExtensionKind } from './extension-point.js';
import type { Kernel } from './kernel.js';

/**
 * A string-keyed view of one extension kind on a kernel: a script registers a reward (or loader, task, ...)
 * class without writing a package, and config validation on that kernel sees it at once.
 */
export class KindRegistry {
  constructor(
    readonly kind: ExtensionKind,
    private readonly kernel: () => Kernel,
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

/** The registries of the seed's script API, as views on one kernel. */
export interface KindRegistries {
  dataset: KindRegistry;
  reward: KindRegistry;
  task: KindRegistry;
}

export function registriesOf(kernel: Kernel | (() => Kernel)): KindRegistries {
  const of = typeof kernel === 'function' ? kernel : () => kernel;
  return { dataset: new KindRegistry('dataset-loader', of), reward: new KindRegistry('reward', of), task: new KindRegistry('task', of) };
}

const defaults = registriesOf(defaultKernel);
/** Dataset loaders (`local`, `huggingface`, ...) on the default kernel. */
export const DatasetRegistry = defaults.dataset;
/** Rewards on the default kernel: `RewardRegistry.register('exclaim', ExclaimReward)` from a script. */
export const RewardRegistry = defaults.reward;
export const TaskRegistry = defaults.task;
