import { ConfigValidationError } from '../config/config-validation-error.js';
import { DistributedConfig } from '../config/distributed-config.js';
import { applyOverrides } from '../config/overrides.js';
import { toPlainTree } from '../config/to-plain.js';
import { inspectConfig, sortIssues } from '../config/validate-config.js';
import type { UnifiedConfig } from '../config/unified-config.js';
import type { ExtensionKind } from '../kernel/extension-point.js';
import { UnknownContributionError, type Kernel } from '../kernel/kernel.js';
import { PluginError } from '../kernel/plugin-manifest.js';
import type { AlgorithmContract } from './algorithm-contract.js';
import type { AlgorithmDriver } from './algorithm-driver.js';
import { ContractTrainer } from './contract-trainer.js';
import { OfflineDriver } from './offline-driver.js';
import { isOnlineAlgorithm } from './online/online-algorithm.js';
import { OnlineDriver } from './online/online-driver.js';
import { ExtensionPoints } from './extension-points.js';
import { refuseUnscalableStepMode } from './mixed-precision.js';
import { resourceIssues } from './resource-checks.js';
import { assertPluginsHealthy, ensureSelected, prepareKernel, whereLooked, type KernelSetup } from './run-context.js';
import type { Trainer, TrainerLogger } from './trainer.js';

/**
 * Creates the trainer for a config: discovers plugins, validates the config against them (algorithm
 * options included), and asks the kernel for the algorithm's contract, which a ContractTrainer composes through
 * the offline or the online driver.
 */
export class TrainerFactory {
  static async createTrainer(config: UnifiedConfig | Record<string, unknown>, setup: KernelSetup = {}): Promise<Trainer> {
    const { kernel, config: validated } = await resolveWithPlugins(config, setup, { requireAlgorithm: true });
    // before train() claims the output directory (the CLI checks it before claiming the directory itself)
    await refuseUnscalableStepMode(kernel, validated);
    const algorithm = await kernel.create(ExtensionPoints.algorithm, validated.algo, { config: validated, params: validated.train });
    return new ContractTrainer(validated, kernel, driverFor(algorithm, validated.algo, kernel), kernel.logger<TrainerLogger>());
  }

  /**
   * Discovery + validation without creating anything (what `aligntune validate` runs). With `checkResources`,
   * the model and local data files the config names are checked too, and reported with the config's problems.
   */
  static async resolveConfig(config: UnifiedConfig | Record<string, unknown>, setup: ResolveSetup = {}): Promise<{ kernel: Kernel; config: UnifiedConfig }> {
    return resolveWithPlugins(config, setup, { requireAlgorithm: false });
  }
}

type ResolveSetup = KernelSetup & { source?: string; overrides?: readonly string[]; checkResources?: boolean };

async function resolveWithPlugins(
  config: UnifiedConfig | Record<string, unknown>,
  setup: ResolveSetup,
  { requireAlgorithm }: { requireAlgorithm: boolean },
): Promise<{ kernel: Kernel; config: UnifiedConfig }> {
  const plain = toPlainTree(config) as Record<string, unknown>;
  const kernel = await prepareKernel({ ...setup, plugins: [...(setup.plugins ?? []), ...stringList(plain.plugins)] });
  assertPluginsHealthy(kernel);
  await ensureSelected(kernel, selectedContributions(plain));
  // Overrides are typed by their target field, algorithm options included, so they follow plugin loading.
  // A bad one is reported with every other problem.
  const overrideIssues = setup.overrides?.length ? applyOverrides(plain, setup.overrides, kernel) : [];
  if (setup.overrides?.length) await ensureSelected(kernel, selectedContributions(plain));
  // Before validation: without the algorithm's plugin each of its options reads as an unknown key, which hides the cause.
  if (requireAlgorithm) assertAlgorithmInstalled(kernel, plain.algo);
  const { config: validated, issues } = inspectConfig(plain, kernel, setup.source);
  issues.push(...overrideIssues);
  if (setup.checkResources) issues.push(...(await resourceIssues(validated, { kernel })));
  if (issues.length > 0) throw new ConfigValidationError(sortIssues(issues), setup.source);
  return { kernel, config: validated };
}

/**
 * The online layer for an online contract (learnFrom), the table rows for an offline one (collate). Anything else
 * (a whole trainer, as plugins once contributed) is a plugin error (exit 2) naming the algorithm and its plugin.
 */
function driverFor(algorithm: object, algo: string, kernel: Kernel): AlgorithmDriver {
  if (isOnlineAlgorithm(algorithm)) return new OnlineDriver(algorithm);
  if (isOfflineAlgorithm(algorithm)) return new OfflineDriver(algorithm);
  const plugin = kernel.record('algorithm', algo)?.source ?? algo;
  throw new PluginError(plugin, `algorithm "${algo}" does not implement the algorithm contract: buildLoss with collate (offline) or learnFrom (online); see docs/plugins.md, "Adding an algorithm"`);
}

function isOfflineAlgorithm(value: object): value is AlgorithmContract {
  const contract = value as Partial<AlgorithmContract>;
  return typeof contract.buildLoss === 'function' && typeof contract.collate === 'function';
}

/** A trainer needs its algorithm's plugin; the error says where plugins were looked for. */
function assertAlgorithmInstalled(kernel: Kernel, algo: unknown): void {
  if (typeof algo !== 'string' || kernel.has('algorithm', algo)) return;
  throw new UnknownContributionError('algorithm', algo, kernel.ids('algorithm'), whereLooked(kernel));
}

/** The contributions a config names, read before validation so lazy plugins can be imported first. */
function selectedContributions(plain: Record<string, unknown>): Array<[ExtensionKind, unknown]> {
  const section = (key: string) => (plain[key] ?? {}) as Record<string, unknown>;
  const entries = (key: string) => (Array.isArray(plain[key]) ? (plain[key] as unknown[]) : []);
  return [
    ['algorithm', plain.algo],
    ['distributed-backend', section('distributed').backend ?? new DistributedConfig().backend],
    ...stringList(section('logging').loggers).map((id): [ExtensionKind, unknown] => ['metric-logger', id]),
    ...entries('rewards').map((entry): [ExtensionKind, unknown] => ['reward', typeOf(entry)]),
    ...entries('tasks').map((entry): [ExtensionKind, unknown] => ['task', (entry as Record<string, unknown>)?.name]),
  ];
}

function typeOf(rewardEntry: unknown): unknown {
  return typeof rewardEntry === 'string' ? rewardEntry.split(':')[0] : (rewardEntry as Record<string, unknown> | null)?.type;
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}
