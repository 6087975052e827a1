import type { CachingConfig } from '../config/caching-config.js';
import type { DatasetConfig } from '../config/dataset-config.js';
import { resolveDatasetLoader } from '../config/resolve-dataset-loader.js';
import type { TaskConfig } from '../config/task-config.js';
import type { TrainingConfig } from '../config/training-config.js';
import type { ExtensionKind } from '../kernel/extension-point.js';
import type { Kernel } from '../kernel/kernel.js';
import type { Tokenizer } from '../models/tokenizer.js';
import { AdapterCatalog } from './adapter-catalog.js';
import { availableParallelism } from 'node:os';
import { buildUncached, DatasetCache } from './dataset-cache.js';
import { streamDatasetRecords } from './dataset-records.js';
import { DataExtensionPoints } from './extension-points.js';
import { openDataset, type DataOptions } from './load-datasets.js';
import { concatMixture, mixDatasets, type Mixture, type MixStopping } from './mix-datasets.js';
import type { TokenTableWriter } from './dataset-cache-file.js';
import type { SplitSource } from './record-source.js';
import { planTasks, taskFor, type PlannedTask } from './task-catalog.js';
import { effectiveChatTemplate } from './tokenize-records.js';
import { writeTokenizedRecords } from './tokenize-stream.js';
import type { TokenizedDataset } from './tokenized-dataset.js';

/** The parts of the run config that decide the data. */
export interface DataConfig {
  datasets: readonly DatasetConfig[];
  tasks?: readonly TaskConfig[];
  train: Pick<TrainingConfig, 'seed' | 'shuffle' | 'max_length' | 'max_prompt_length' | 'truncation_mode'>;
  chat_template?: string;
  caching?: CachingConfig;
}

export interface PrepareOptions extends DataOptions {
  tokenizer: Tokenizer;
  /** Default: caching.root when caching.enabled, else none. */
  cache?: DatasetCache | null;
  /** `train` (default) mixes the training splits; `eval` concatenates the eval_split of datasets that set one. */
  which?: 'train' | 'eval';
  stopping?: MixStopping;
  /** Records per tokenization chunk (tests use small chunks to exercise the workers on small data). */
  chunkRows?: number;
}

export interface PreparedDataset {
  index: number;
  config: DatasetConfig;
  description: string;
  data: TokenizedDataset;
  cacheKey: string;
  cacheHit: boolean;
}

export interface PreparedData {
  datasets: PreparedDataset[];
  tasks: PlannedTask[];
  /** Rows in training order: dataset index and row within it. */
  mixture: Mixture;
}

/**
 * The run's tokenized data: each dataset opened, then taken from the dataset cache or loaded, adapted,
 * formatted for its task and tokenized (and cached); then mixed by weight with the run's seed.
 */
export async function prepareDatasets(config: DataConfig, options: PrepareOptions): Promise<PreparedData> {
  const which = options.which ?? 'train';
  const tasks = await planTasks(options.kernel, config.tasks ?? [], config.datasets);
  const cache = options.cache === undefined ? defaultCache(config.caching, options) : options.cache ?? undefined;
  const adapters = new AdapterCatalog(options.kernel);
  const datasets: PreparedDataset[] = [];
  for (const [index, original] of config.datasets.entries()) {
    if (which === 'eval' && !original.eval_split) continue;
    const ds: DatasetConfig = which === 'eval' ? { ...original, split: original.eval_split! } : original;
    const split = await openDataset(ds, options);
    const parts = await cacheKeyParts(config, ds, split, options);
    const build = async (writer: TokenTableWriter) => {
      const records = streamDatasetRecords(split, ds, { index, adapters, task: taskFor(tasks, ds), logger: options.logger, chunkRows: options.chunkRows });
      await writeTokenizedRecords(options.tokenizer, records, writer, tokenizeOptions(config, ds, options));
    };
    const result = cache ? await cache.getOrBuild(parts, build) : { dataset: await buildUncached(parts, build), key: DatasetCache.key(parts), hit: false };
    options.logger?.info(`${split.description}: ${result.dataset.size} rows${result.hit ? ' (from the dataset cache)' : ''}`);
    datasets.push({ index, config: ds, description: split.description, data: result.dataset, cacheKey: result.key, cacheHit: result.hit });
  }
  return { datasets, tasks, mixture: mixture(datasets, config, which, options.stopping) };
}

function mixture(datasets: PreparedDataset[], config: DataConfig, which: 'train' | 'eval', stopping?: MixStopping): Mixture {
  if (which === 'eval') return concatMixture(datasets.map((d) => ({ dataset: d.index, size: d.data.size })));
  const sizes = config.datasets.map((_, i) => datasets.find((d) => d.index === i)?.data.size ?? 0);
  return mixDatasets(sizes, config.datasets.map((ds) => ds.weight), { seed: config.train.seed, shuffle: config.train.shuffle, stopping });
}

function defaultCache(caching: CachingConfig | undefined, options: DataOptions): DatasetCache | undefined {
  return caching?.enabled ? new DatasetCache(caching.root, { logger: options.logger }) : undefined;
}

function tokenizeOptions(config: DataConfig, ds: DatasetConfig, options: PrepareOptions) {
  return {
    maxLength: config.train.max_length,
    maxPromptLength: config.train.max_prompt_length,
    truncationMode: config.train.truncation_mode,
    chatTemplate: ds.chat_template ?? config.chat_template,
    logger: options.logger,
    numProc: config.caching?.num_proc ?? availableParallelism(),
  };
}

/**
 * Everything that decides a dataset's tokenized content: the source (commit or file hashes), split,
 * slicing, mapping, adapter and task (with their plugin versions), tokenizer content, chat template and
 * length limits. Mixing and shuffling are applied after the cache, so they are not part of it.
 */
export async function cacheKeyParts(config: DataConfig, ds: DatasetConfig, split: SplitSource, options: PrepareOptions): Promise<Record<string, unknown>> {
  const baseDir = options.baseDir ?? process.cwd();
  const template = effectiveChatTemplate(options.tokenizer, ds.chat_template ?? config.chat_template);
  const task = config.tasks?.find((t) => t.name === ds.task_type);
  return {
    dataset: ds.name,
    source: await split.fingerprint(),
    loader: await resolveDatasetLoader(options.kernel, ds, baseDir),
    split: ds.split,
    percent: ds.percent ?? null,
    max_samples: ds.max_samples ?? null,
    column_mapping: ds.column_mapping,
    on_bad_rows: ds.on_bad_rows,
    adapter: await contributionVersions(options.kernel, 'schema-adapter', ds.adapter ? [ds.adapter] : options.kernel.ids(DataExtensionPoints.schemaAdapter.kind)),
    task: ds.task_type ? { versions: await contributionVersions(options.kernel, 'task', [ds.task_type]), params: task?.params ?? {} } : null,
    tokenizer: options.tokenizer.contentHash(),
    chat_template: template.template ?? null,
    max_length: config.train.max_length,
    max_prompt_length: config.train.max_prompt_length,
    truncation_mode: config.train.truncation_mode,
  };
}

/** `id@package@version` of each contribution, so upgrading a plugin invalidates what it produced. */
async function contributionVersions(kernel: Kernel, kind: ExtensionKind, ids: string[]): Promise<string[]> {
  const states = kernel.pluginStates();
  const versions = [];
  for (const id of [...ids].sort()) {
    const record = await kernel.ensure(kind, id);
    versions.push(`${id}@${record.source}@${states.find((s) => s.name === record.source)?.version ?? ''}`);
  }
  return versions;
}
