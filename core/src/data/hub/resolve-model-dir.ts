import { existsSync } from 'node:fs';
import { isLocalPath } from '../../config/local-path.js';
import { DataError } from '../data-error.js';
import type { DataLogger } from '../data-logger.js';
import { downloadRepoFiles } from './download-repo-files.js';
import type { HubFile } from './hub-repo.js';
import type { HubSettings } from './hub-settings.js';

/** The files a model directory needs: configs, safetensors weights (and their index), tokenizer files. */
export function isModelFile({ path }: HubFile): boolean {
  if (path.includes('/')) return false;
  return /\.(json|safetensors|model|txt)$/.test(path) && !path.startsWith('training_args');
}

/**
 * `model.name_or_path` → a local directory: an existing path as it is, otherwise a Hub model id fetched
 * into the shared Hugging Face cache (only the files a model directory needs). The models layer takes this
 * as its `resolveDir`, so it never imports the Hub client itself.
 */
export async function resolveModelDir(
  nameOrPath: string,
  options: { revision?: string; settings?: HubSettings; logger?: DataLogger } = {},
): Promise<string> {
  if (existsSync(nameOrPath)) return nameOrPath;
  if (isLocalPath(nameOrPath)) throw new DataError(`${nameOrPath}: no such model directory`);
  const snapshot = await downloadRepoFiles({ type: 'model', name: nameOrPath }, { ...options, files: isModelFile });
  return snapshot.dir;
}
