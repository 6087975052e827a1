import type { DatasetConfig } from './dataset-config.js';
import { isLocalPath } from './local-path.js';

const LOCAL_EXTENSIONS = /\.(jsonl|json|csv|tsv|parquet|arrow|txt)$/i;

/**
 * The dataset loader id for a dataset: its `loader` when set; else "local" when `name` is an existing file
 * or directory (relative names are resolved against `baseDir`, the working directory by default — as in
 * Hugging Face tools, not the config file's folder); else "local" when `name` is clearly a path (see
 * isLocalPath, or it ends in a data-file extension), so a missing file reports "file not found" rather than
 * a confusing Hub lookup; else "huggingface".
 */
export function resolveDatasetLoader(ds: Pick<DatasetConfig, 'name' | 'loader'>, baseDir: string = process.cwd()): string {
  if (ds.loader) return ds.loader;
  return isLocalDatasetName(ds.name, baseDir) ? 'local' : 'huggingface';
}

/** A dataset name that means local files: a local path (isLocalPath), or a name with a data-file extension. */
export function isLocalDatasetName(name: string, baseDir: string = process.cwd()): boolean {
  return isLocalPath(name, baseDir) || LOCAL_EXTENSIONS.test(name);
}
