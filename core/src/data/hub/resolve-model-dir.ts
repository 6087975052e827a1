import { existsSync } from 'node:fs';
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

/** A Hub repo id: `name` or `org/name`, of letters, digits, '-', '_' and '.'. */
const HUB_ID = /^[\w.-]+(\/[\w.-]+)?$/;

/**
 * Whether a model name can only mean a local directory, so it is never looked up on the Hub: it exists; it
 * starts with ./ ../ / ~ or a drive letter; it is no Hub id (more than one slash, other characters); or its
 * first segment is an existing directory (`output/tiny` where `output/` exists is the user's folder, not
 * the Hub organisation "output").
 */
export function isLocalModelPath(nameOrPath: string): boolean {
  if (existsSync(nameOrPath)) return true;
  if (/^(\.{1,2}[\\/]|[\\/]|~|[a-zA-Z]:[\\/])/.test(nameOrPath) || !HUB_ID.test(nameOrPath)) return true;
  const [first, rest] = nameOrPath.split('/');
  return rest !== undefined && existsSync(first!);
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
  if (isLocalModelPath(nameOrPath)) throw new DataError(`${nameOrPath}: no such model directory`);
  const snapshot = await downloadRepoFiles({ type: 'model', name: nameOrPath }, { ...options, files: isModelFile });
  return snapshot.dir;
}
