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
 * lookup; else it is a Hub id. What a loader serves is read from its manifest's `traits` (its plugin is imported only
 * when it has none), so only the chosen loader's plugin is imported.
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
  throw noDefaultLoader(kind, name, declared);
}

/** Two loaders tie for the kind at the top priority, or none serves it (naming the loaders whose plugin failed). */
function noDefaultLoader(kind: DatasetNameKind, name: string, declared: readonly DeclaredLoader[]): ConfigValidationError {
  const serving = declared.filter((loader) => loader.serves === kind);
  const top = Math.max(...serving.map((loader) => loader.priority));
  const broken = declared.flatMap((loader) => (loader.failure ? [`; ${loader.id}'s plugin does not load: ${loader.failure}`] : []));
  const installed = declared.map((loader) => loader.id).join(', ') || 'none';
  const message =
    serving.length > 0
      ? `installed dataset loaders ${serving.filter((l) => l.priority === top).map((l) => l.id).join(', ')} serve ${KIND_NAMES[kind]} at the same priority (${top}); set loader to choose one`
      : `no installed dataset loader serves ${KIND_NAMES[kind]} ("${name}"): install one or set loader (installed: ${installed})${broken.join('')}`;
  return new ConfigValidationError([{ path: 'datasets.loader', message }]);
}

interface DeclaredLoader {
  id: string;
  serves?: DatasetNameKind;
  priority: number;
  /** Why its plugin does not load; it then serves nothing by default (the error names it). */
  failure?: string;
}

async function loaderOptions(kernel: Kernel, id: string): Promise<DeclaredLoader> {
  const declared = await kernel.traits<DatasetLoaderOptions>(LOADER_KIND, id);
  if ('failure' in declared) return { id, priority: 0, failure: declared.failure };
  return { id, serves: declared.options.serves, priority: declared.options.priority ?? 0 };
}
