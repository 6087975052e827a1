import type { DatasetConfig } from '../config/dataset-config.js';
import { resolveDatasetLoader } from '../config/resolve-dataset-loader.js';
import type { TaskConfig } from '../config/task-config.js';
import type { Kernel } from '../kernel/kernel.js';
import { AdapterCatalog } from './adapter-catalog.js';
import type { AdaptReport } from './adapt-report.js';
import type { CanonicalRecord } from './canonical-record.js';
import type { DataLogger } from './data-logger.js';
import { readDatasetRecords } from './dataset-records.js';
import { DataExtensionPoints } from './extension-points.js';
import type { HubSettings } from './hub/hub-settings.js';
import { mixDatasets, type Mixture, type MixStopping } from './mix-datasets.js';
import type { LoadContext, SplitSource } from './record-source.js';
import { planTasks, taskFor, type PlannedTask } from './task-catalog.js';

export interface DataOptions {
  kernel: Kernel;
  /** Relative dataset paths resolve against this (default: the working directory). */
  baseDir?: string;
  logger?: DataLogger;
  hub?: HubSettings;
}

/** One dataset's records and what happened on the way. */
export interface LoadedDataset {
  index: number;
  config: DatasetConfig;
  description: string;
  records: CanonicalRecord[];
  report: AdaptReport;
}

export interface TrainingRecords {
  datasets: LoadedDataset[];
  tasks: PlannedTask[];
  /** The weighted mixture: which dataset's which record, in training order. */
  mixture: Mixture;
  /** The mixture's records in order. */
  records: CanonicalRecord[];
}

export function loadContext(options: DataOptions): LoadContext {
  return { baseDir: options.baseDir ?? process.cwd(), logger: options.logger, hub: options.hub };
}

/** Opens one split of a dataset through its loader plugin (`loader`, else the installed loader serving the name's kind; see resolveDatasetLoader). */
export async function openDataset(ds: DatasetConfig, options: DataOptions): Promise<SplitSource> {
  const ctx = loadContext(options);
  const loader = await options.kernel.create(DataExtensionPoints.datasetLoader, await resolveDatasetLoader(options.kernel, ds, ctx.baseDir));
  return loader.open(ds, ctx);
}

/**
 * The canonical records of every dataset, mixed by weight (seeded; see mixDatasets). Each dataset's rows are
 * selected by its spec, mapped, adapted and formatted for its task.
 */
export async function loadTrainingRecords(
  config: { datasets: readonly DatasetConfig[]; tasks?: readonly TaskConfig[]; train: { seed: number; shuffle: boolean } },
  options: DataOptions & { stopping?: MixStopping },
): Promise<TrainingRecords> {
  const tasks = await planTasks(options.kernel, config.tasks ?? [], config.datasets);
  const adapters = new AdapterCatalog(options.kernel);
  const datasets: LoadedDataset[] = [];
  for (const [index, ds] of config.datasets.entries()) {
    const split = await openDataset(ds, options);
    const { records, report } = await readDatasetRecords(split, ds, { index, adapters, task: taskFor(tasks, ds), logger: options.logger });
    options.logger?.info(`${split.description}: ${records.length} records (adapter ${report.adapter})`);
    datasets.push({ index, config: ds, description: split.description, records, report });
  }
  const mixture = mixDatasets(
    datasets.map((d) => d.records.length),
    config.datasets.map((ds) => ds.weight),
    { seed: config.train.seed, shuffle: config.train.shuffle, stopping: options.stopping },
  );
  return { datasets, tasks, mixture, records: Array.from(mixture.row, (row, i) => datasets[mixture.dataset[i]!]!.records[row]!) };
}
