import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { ConfigIssue } from '../config/config-validation-error.js';
import type { DatasetConfig } from '../config/dataset-config.js';
import { isLocalPath } from '../config/local-path.js';
import { isLocalDatasetName } from '../config/resolve-dataset-loader.js';
import type { UnifiedConfig } from '../config/unified-config.js';
import { UnknownContributionError, type Kernel } from '../kernel/kernel.js';
import { AdapterCatalog } from '../data/adapter-catalog.js';
import { DataError } from '../data/data-error.js';
import { readDatasetRecords } from '../data/dataset-records.js';
import { HubCacheLayout } from '../data/hub/hub-cache-layout.js';
import { hubSettingsFromEnv, type HubSettings } from '../data/hub/hub-settings.js';
import { openDataset } from '../data/load-datasets.js';

/** Rows read from each local data file: enough to detect the adapter and see the rows parse. */
const PREVIEW_ROWS = 5;

const MODEL_FIELDS = ['name_or_path', 'sft_path', 'ref_path', 'reward_path', 'value_path'] as const;

export interface ResourceCheckOptions {
  kernel: Kernel;
  /** Relative dataset paths resolve against this (default: the working directory, as training does). */
  baseDir?: string;
  hub?: HubSettings;
}

/**
 * What `validate` and `train` can check before anything runs, without the network: each model path names a
 * model directory (or a Hub id, which must be in the local cache when HF_HUB_OFFLINE is set), each local
 * dataset's split exists and its first rows parse and fit a schema adapter, and a rollout-replay file
 * exists. Hub datasets are checked when they are loaded.
 */
export async function resourceIssues(config: UnifiedConfig, options: ResourceCheckOptions): Promise<ConfigIssue[]> {
  const hub = options.hub ?? hubSettingsFromEnv();
  const issues = MODEL_FIELDS.flatMap((field) => modelIssues(config.model?.[field], `model.${field}`, hub));
  issues.push(...(await datasetIssues(config.datasets ?? [], options)));
  const replay = config.train?.rollouts_from;
  if (typeof replay === 'string' && !existsSync(replay)) issues.push({ path: 'train.rollouts_from', message: `${replay}: no such file` });
  return issues;
}

function modelIssues(nameOrPath: unknown, path: string, hub: HubSettings): ConfigIssue[] {
  if (typeof nameOrPath !== 'string' || nameOrPath === '') return [];
  if (isLocalPath(nameOrPath)) {
    if (!existsSync(nameOrPath)) return [{ path, message: `${nameOrPath}: no such model directory` }];
    if (!statSync(nameOrPath).isDirectory()) return [{ path, message: `${nameOrPath}: not a directory (a model directory holds config.json and the weights)` }];
    if (!existsSync(join(nameOrPath, 'config.json'))) return [{ path, message: `${nameOrPath}: not a model directory (no config.json)` }];
    return [];
  }
  const cached = existsSync(new HubCacheLayout(hub.cacheDir, { type: 'model', name: nameOrPath }).refPath('main'));
  if (cached || !hub.offline) return [];
  return [{ path, message: `"${nameOrPath}" is no local directory and not in the Hugging Face cache (${hub.cacheDir}), and HF_HUB_OFFLINE is set` }];
}

async function datasetIssues(datasets: readonly DatasetConfig[], options: ResourceCheckOptions): Promise<ConfigIssue[]> {
  const baseDir = options.baseDir ?? process.cwd();
  const adapters = new AdapterCatalog(options.kernel);
  const issues: ConfigIssue[] = [];
  for (const [index, ds] of datasets.entries()) {
    if (typeof ds?.name !== 'string' || !isLocalDatasetName(ds.name, baseDir)) continue;
    for (const split of new Set([ds.split, ds.eval_split].filter((s): s is string => typeof s === 'string'))) {
      const message = await previewProblem({ ...ds, split, percent: undefined, max_samples: PREVIEW_ROWS }, index, adapters, options);
      if (message) {
        issues.push({ path: `datasets.${index}`, message });
        break; // a missing file fails every split alike
      }
    }
  }
  return issues;
}

/** Reads the first rows of one split the way training does; the data layer's error, if any. */
async function previewProblem(ds: DatasetConfig, index: number, adapters: AdapterCatalog, options: ResourceCheckOptions): Promise<string | undefined> {
  try {
    const split = await openDataset(ds, { kernel: options.kernel, baseDir: options.baseDir });
    await readDatasetRecords(split, ds, { index, adapters });
    return undefined;
  } catch (error) {
    // a loader or adapter the catalog does not know is reported by validation already
    if (error instanceof UnknownContributionError) return undefined;
    return error instanceof DataError ? error.message : `${ds.name}: could not be read: ${(error as Error).message}`;
  }
}
