import 'reflect-metadata';
import { injectable } from 'inversify';
import type { ExtensionKind } from './extension-point.js';

/** A class constructor; contributions are classes. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Constructor<T = unknown> = new (...args: any[]) => T;

export interface ContributionOptions {
  /** class-validator class for this contribution's parameters (rewards, loggers, loaders...). */
  params?: Constructor;
  /** class-validator class for an algorithm's options, validated under `train:`. */
  options?: Constructor;
  /** One-line description shown by `aligntune plugins`. */
  description?: string;
}

/** What a decorator records on a class. */
export interface ContributionMetadata extends ContributionOptions {
  kind: ExtensionKind;
  /** Usually one id; an architecture gives one per model type. */
  ids: string[];
}

const CONTRIBUTION_KEY = Symbol.for('aligntune.contribution');

export function getContributionMetadata(target: unknown): ContributionMetadata | undefined {
  if (typeof target !== 'function') return undefined;
  return Reflect.getOwnMetadata(CONTRIBUTION_KEY, target) as ContributionMetadata | undefined;
}

const ID_PATTERN = /^[a-z0-9][a-z0-9._-]*$/i;

function contributionDecorator(kind: ExtensionKind, ids: string[], options: ContributionOptions = {}): ClassDecorator {
  if (ids.length === 0) throw new Error(`@${kind} decorator needs at least one id`);
  for (const id of ids) {
    if (!ID_PATTERN.test(id)) throw new Error(`invalid ${kind} id "${id}": use letters, digits, '.', '_' and '-'`);
  }
  return (target) => {
    if (Reflect.hasOwnMetadata(CONTRIBUTION_KEY, target)) {
      throw new Error(`class ${target.name} already carries an aligntune contribution decorator`);
    }
    Reflect.defineMetadata(CONTRIBUTION_KEY, { kind, ids: [...ids], ...options } satisfies ContributionMetadata, target);
    // inversify needs its own class metadata to construct the class; a class that tsyringe decorated
    // is constructed by the tsyringe bridge instead, so marking it here is harmless.
    if (!isInversifyInjectable(target)) injectable()(target);
  };
}

function isInversifyInjectable(target: object): boolean {
  return Reflect.getOwnMetadataKeys(target).some((key) => String(key).startsWith('@inversifyjs'));
}

/** `@Algorithm('dpo', { options: DpoOptions })` on a trainer class. */
export const Algorithm = (id: string, options?: ContributionOptions) => contributionDecorator('algorithm', [id], options);
/** The dataset names a loader serves by default: local files (a path or a data-file name), or Hub dataset ids. */
export type DatasetNameKind = 'files' | 'hub';

/** What a dataset loader declares so that core can pick the default loader for a dataset name without naming one. */
export interface DatasetLoaderOptions extends ContributionOptions {
  /** The dataset names it is the default for when `datasets[].loader` is not set; omitted: only when chosen by id. */
  serves?: DatasetNameKind;
  /** Among installed loaders serving one kind, the highest priority is the default. Default 0. */
  priority?: number;
}

/** `@DatasetLoader('my-files', { serves: 'files' })` on a loader class. */
export const DatasetLoader = (id: string, options?: DatasetLoaderOptions) =>
  contributionDecorator('dataset-loader', [id], options);
/** `@SchemaAdapter('hh-rlhf')` on an adapter class. */
export const SchemaAdapter = (id: string, options?: ContributionOptions) =>
  contributionDecorator('schema-adapter', [id], options);
/** `@Reward('length', { params: LengthParams })` on a reward class. */
export const Reward = (id: string, options?: ContributionOptions) => contributionDecorator('reward', [id], options);
/** `@Task('math')` on a task class. */
export const Task = (id: string, options?: ContributionOptions) => contributionDecorator('task', [id], options);
/** `@MetricLogger('tensorboard')` on a logger class. */
export const MetricLogger = (id: string, options?: ContributionOptions) =>
  contributionDecorator('metric-logger', [id], options);
/** What the launcher of a multi-process backend is asked to start: this command line, `processes` times. */
export interface LaunchRequest {
  readonly processes: number;
  readonly nodes: number;
  /** The command that started this process (node, script, its arguments). */
  readonly argv: readonly string[];
}

/** A command that starts every rank (mpirun ...), printed before it runs so users can run it themselves. */
export interface LaunchPlan {
  readonly command: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
}

/** What a distributed backend declares so that `aligntune train` can start its ranks without core naming it. */
export interface DistributedBackendOptions extends ContributionOptions {
  /**
   * This process's rank when a launcher started it (read from the environment before any library loads), else
   * undefined: the CLI then asks `launch` for the command that starts every rank.
   */
  launchedRank?: () => number | undefined;
  /** The command that starts `request.processes` ranks of this command line; throws a sentence saying what to install when it cannot. */
  launch?: (request: LaunchRequest) => LaunchPlan;
  /** `distributed.*` keys it acts on besides backend, nodes, gpus_per_node and seed (e.g. `deepspeed_config`); any other set is refused. */
  configKeys?: readonly string[];
}

/** `@DistributedBackend('single')` on a distributed backend class. */
export const DistributedBackend = (id: string, options?: DistributedBackendOptions) =>
  contributionDecorator('distributed-backend', [id], options);
/** What a compute backend declares so that core can choose one by `compute:` config without naming it. */
export interface ComputeBackendOptions extends ContributionOptions {
  /** The device kind it runs graphs on (`compute.device`), e.g. cpu or cuda. */
  device: string;
  /** Among available backends of one device, the highest priority is the default. Default 0. */
  priority?: number;
  /** Why it cannot run here for this request (`aligntune plugins` shows it), or undefined when it can. */
  probe?: (request: { deviceId: number }) => string | undefined | Promise<string | undefined>;
}

/** `@ComputeBackend('cpu', { device: 'cpu', probe })` on a compute backend class. */
export const ComputeBackend = (id: string, options: ComputeBackendOptions) =>
  contributionDecorator('compute-backend', [id], options);
/** What an architecture declares: the Hugging Face model_types it builds, each with how it is read and laid out. */
export interface ArchitectureOptions extends ContributionOptions {
  /** model_type → its ModelTypeTraits (models layer: config.json fields, tensor names, `model init` presets). */
  modelTypes: Readonly<Record<string, object>>;
}

/** `@Architecture({ modelTypes: { llama: traits, mistral: traits } })`: one class serving several model_types. */
export const Architecture = (options: ArchitectureOptions) => contributionDecorator('architecture', Object.keys(options.modelTypes), options);
