import { readFile, readdir, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { writeDataAtomic } from '../../util/atomic-write.js';
import type { HubRepo } from './hub-repo.js';

/**
 * Paths in the Python-compatible cache: `<cache>/<type>s--<owner>--<name>/{blobs,snapshots/<commit>,refs}`.
 * Our own listing cache lives beside them in `.aligntune/`, which huggingface_hub ignores.
 */
export class HubCacheLayout {
  readonly repoDir: string;

  constructor(cacheDir: string, repo: HubRepo) {
    this.repoDir = join(cacheDir, [`${repo.type}s`, ...repo.name.split('/')].join('--'));
  }

  refPath(revision: string): string {
    return join(this.repoDir, 'refs', ...revision.split('/'));
  }

  snapshotDir(commit: string): string {
    return join(this.repoDir, 'snapshots', commit);
  }

  snapshotFile(commit: string, path: string): string {
    return join(this.snapshotDir(commit), ...path.split('/'));
  }

  listingPath(commit: string): string {
    return join(this.repoDir, '.aligntune', 'trees', `${commit}.json`);
  }

  async readRef(revision: string): Promise<string | undefined> {
    return (await readText(this.refPath(revision)))?.trim() || undefined;
  }

  /** As Python writes it: the bare commit sha, no newline. */
  writeRef(revision: string, commit: string): Promise<void> {
    return writeDataAtomic(this.refPath(revision), commit);
  }

  /** Repo-relative paths of the files present in a snapshot (following the blob symlinks). */
  async snapshotFiles(commit: string): Promise<string[] | undefined> {
    const root = this.snapshotDir(commit);
    try {
      const entries = await readdir(root, { recursive: true });
      const files: string[] = [];
      for (const entry of entries) {
        if (await isFile(join(root, entry))) files.push(relative(root, join(root, entry)).split(sep).join('/'));
      }
      return files.sort();
    } catch {
      return undefined;
    }
  }
}

export async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}
