import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';

/** A Hub repo id: `name` or `org/name`, of letters, digits, '-', '_' and '.'. */
const HUB_ID = /^[\w.-]+(\/[\w.-]+)?$/;

/**
 * Whether a model or dataset name can only mean local files, so it is never looked up on the Hub (and a
 * missing one is "no such file or directory"): it exists; it starts with ./ ../ / ~ or a drive letter; it is
 * no Hub id (more than one slash, other characters); or its first segment is an existing directory
 * (`output/tiny` where `output/` exists is the user's folder, not the Hub organisation "output").
 * Relative names resolve against `baseDir` (the working directory, as in Hugging Face tools).
 */
export function isLocalPath(name: string, baseDir: string = process.cwd()): boolean {
  if (existsSync(resolve(baseDir, name))) return true;
  if (isAbsolute(name) || /^(\.{1,2}[\\/]|~|[a-zA-Z]:[\\/])/.test(name) || !HUB_ID.test(name)) return true;
  const [first, rest] = name.split('/');
  return rest !== undefined && existsSync(resolve(baseDir, first!));
}
