import type { DatasetLoaderOptions, DatasetNameKind } from '../kernel/contribution.js';
import type { Kernel } from '../kernel/kernel.js';
import { ConfigValidationError } from './config-validation-error.js';
import type { DatasetConfig } from './dataset-config.js';
import { isLocalPath } from './local-path.js';

const LOCAL_EXTENSIONS = /\.(jsonl|json|csv|tsv|parquet|arrow|txt)$/i;
const LOADER_KIND = 'dataset-loader';
const KIND_NAMES: Record<DatasetNameKind, string> = { files: 'local files', hub: 'Hub dataset ids' };

/**
 * The dataset loader id for a dataset: its `loader` when set; else the installed loader that declares it serves
 * the name's kind (`@DatasetLoader(id, { serves })`, highest priority first). The name means files when it is
 * an existing file or directory (relative names are resolved against `baseDir`, the working directory by
 * default — as in Hugging Face tools, not the config file's folder) or is clearly a path (see isLocalPath, or it
 * ends in a data-file extension), so a missing file reports "file not found" rather than a confusing Hub
 * lookup; else it is a Hub id. Loaders are imported to read what they serve, as compute backends are.
 */
export async function resolveDatasetLoader(
  kernel: Kernel,
  ds: Pick<DatasetConfig, 'name' | 'loader'>,
  baseDir: string = process.cwd(),
): Promise<string> {
  if (ds.loader) return ds.loader;
  return defaultDatasetLoader(kernel, isLocalDatasetName(ds.name, baseDir) ? 'files' : 'hub', ds.name);
}

/** A dataset name that means local files: a local path (isLocalPath), or a name with a data-file extension. */
export function isLocalDatasetName(name: string, baseDir: string = process.cwd()): boolean {
  return isLocalPath(name, baseDir) || LOCAL_EXTENSIONS.test(name);
}

async function defaultDatasetLoader(kernel: Kernel, kind: DatasetNameKind, name: string): Promise<string> {
  const declared = await Promise.all(kernel.ids(LOADER_KIND).map((id) => loaderOptions(kernel, id)));
  const serving = declared.filter((loader) => loader.serves === kind).sort((a, b) => b.priority - a.priority);
  const [best, next] = serving;
  if (best && (!next || next.priority < best.priority)) return best.id;
  const installed = kernel.ids(LOADER_KIND).join(', ') || 'none';
  const message = best
    ? `installed dataset loaders ${serving.filter((l) => l.priority === best.priority).map((l) => l.id).join(', ')} serve ${KIND_NAMES[kind]} at the same priority (${best.priority}); set loader to choose one`
    : `no installed dataset loader serves ${KIND_NAMES[kind]} ("${name}"): install one or set loader (installed: ${installed})`;
  throw new ConfigValidationError([{ path: 'datasets.loader', message }]);
}

/** What a loader declares; a loader whose plugin does not load serves nothing by default (choosing it by id reports why). */
async function loaderOptions(kernel: Kernel, id: string): Promise<{ id: string; serves?: DatasetNameKind; priority: number }> {
  try {
    const options = (await kernel.ensure(LOADER_KIND, id)).metadata as DatasetLoaderOptions;
    return { id, serves: options.serves, priority: options.priority ?? 0 };
  } catch {
    return { id, priority: 0 };
  }
}
