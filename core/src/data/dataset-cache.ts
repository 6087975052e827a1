import { mkdtempSync } from 'node:fs';
import { mkdir, open, readdir, rm, stat, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { contentHash } from '../util/canonical-json.js';
import type { DataLogger } from './data-logger.js';
import { CACHE_FORMAT_VERSION, openEntry, readEntryHeader, TokenTableWriter, verifyEntry, type CacheEntryHeader } from './dataset-cache-file.js';
import type { TokenizedDataset } from './tokenized-dataset.js';

/** Writes a table's rows into the writer (streaming: rows are appended as they are tokenized). */
export type TableBuilder = (writer: TokenTableWriter) => Promise<void>;

const ENTRY_SUFFIX = '.atds';

export interface DatasetCacheOptions {
  logger?: DataLogger;
  /** How long to wait for another process building the same entry before building it too. Default 10 min. */
  lockWaitMs?: number;
  /** A lock older than this is a crashed builder's and is broken. Default 30 min. */
  staleLockMs?: number;
  pollMs?: number;
}

/** An entry as `aligntune cache ls` shows it. */
export interface CacheEntryInfo {
  key: string;
  path: string;
  bytes: number;
  /** Last build or use (hits touch the file). */
  lastUsed: Date;
  header?: CacheEntryHeader;
  error?: string;
}

/**
 * Tokenized datasets under `caching.root/datasets/`, one file per key: the sha256 of everything that
 * determines the content (see datasetCacheKey). Writes go to a temp file renamed into place, so readers
 * never see half an entry and concurrent runs at worst build the same content twice; a lock file lets a
 * second run wait for the first instead. Every read checks the checksum; a corrupt entry is deleted and
 * rebuilt, never used.
 */
export class DatasetCache {
  readonly dir: string;
  private readonly lockWaitMs: number;
  private readonly staleLockMs: number;
  private readonly pollMs: number;

  constructor(
    readonly root: string,
    private readonly options: DatasetCacheOptions = {},
  ) {
    this.dir = join(root, 'datasets');
    this.lockWaitMs = options.lockWaitMs ?? 10 * 60_000;
    this.staleLockMs = options.staleLockMs ?? 30 * 60_000;
    this.pollMs = options.pollMs ?? 200;
  }

  /** The key for these parts (with the format version, so a new layout never reads an old file). */
  static key(parts: Record<string, unknown>): string {
    return contentHash({ format: CACHE_FORMAT_VERSION, ...parts });
  }

  pathOf(key: string): string {
    return join(this.dir, `${key}${ENTRY_SUFFIX}`);
  }

  /**
   * The cached dataset, read from its file by position (opening checks the checksum), or undefined when
   * absent or corrupt (a corrupt file is removed).
   */
  async get(key: string): Promise<TokenizedDataset | undefined> {
    const path = this.pathOf(key);
    if (!(await stat(path).catch(() => undefined))) return undefined;
    try {
      const { dataset } = openEntry(path);
      const now = new Date();
      await utimes(path, now, now).catch(() => undefined);
      return dataset;
    } catch (error) {
      this.options.logger?.warn(`dataset cache entry ${path} is corrupt (${(error as Error).message}); rebuilding it`);
      await rm(path, { force: true });
      return undefined;
    }
  }

  /** The cached dataset for `parts`, or the table `build` writes, stored under their key. */
  async getOrBuild(parts: Record<string, unknown>, build: TableBuilder): Promise<{ dataset: TokenizedDataset; key: string; hit: boolean }> {
    const key = DatasetCache.key(parts);
    const cached = await this.get(key);
    if (cached) return { dataset: cached, key, hit: true };
    const release = await this.lock(key);
    try {
      const built = release.waited ? await this.get(key) : undefined;
      if (built) return { dataset: built, key, hit: true };
      await writeEntry(this.pathOf(key), key, parts, build);
      return { dataset: openEntry(this.pathOf(key)).dataset, key, hit: false };
    } finally {
      await release.unlock();
    }
  }

  /** Every entry, newest use first, with its header (or why it cannot be read). */
  async list(): Promise<CacheEntryInfo[]> {
    const infos: CacheEntryInfo[] = [];
    for (const name of await this.entryNames()) {
      const path = join(this.dir, name);
      const info = await stat(path).catch(() => undefined);
      if (!info) continue;
      const entry: CacheEntryInfo = { key: name.slice(0, -ENTRY_SUFFIX.length), path, bytes: info.size, lastUsed: info.mtime };
      try {
        entry.header = readEntryHeader(path);
      } catch (error) {
        entry.error = (error as Error).message;
      }
      infos.push(entry);
    }
    return infos.sort((a, b) => b.lastUsed.getTime() - a.lastUsed.getTime());
  }

  /** Reads every entry whole and checks it; returns the corrupt ones (removed when `remove`). */
  async verify(options: { remove?: boolean } = {}): Promise<Array<{ key: string; path: string; error: string }>> {
    const corrupt = [];
    for (const entry of await this.list()) {
      try {
        verifyEntry(entry.path);
      } catch (error) {
        corrupt.push({ key: entry.key, path: entry.path, error: (error as Error).message });
        if (options.remove) await rm(entry.path, { force: true });
      }
    }
    return corrupt;
  }

  /** Removes entries unused for longer than `olderThanMs` (all when undefined), plus stale temp and lock files. */
  async clean(options: { olderThanMs?: number } = {}): Promise<CacheEntryInfo[]> {
    const cutoff = options.olderThanMs === undefined ? Infinity : Date.now() - options.olderThanMs;
    const removed: CacheEntryInfo[] = [];
    for (const entry of await this.list()) {
      if (entry.lastUsed.getTime() > cutoff) continue;
      await rm(entry.path, { force: true });
      removed.push(entry);
    }
    await this.removeLeftovers();
    return removed;
  }

  private async entryNames(): Promise<string[]> {
    try {
      return (await readdir(this.dir)).filter((name) => name.endsWith(ENTRY_SUFFIX));
    } catch {
      return [];
    }
  }

  /** Temp files of crashed writers and stale locks. */
  private async removeLeftovers(): Promise<void> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    for (const name of names) {
      if (!name.endsWith('.tmp') && !name.endsWith('.lock')) continue;
      const info = await stat(join(this.dir, name)).catch(() => undefined);
      if (info && Date.now() - info.mtimeMs > this.staleLockMs) await rm(join(this.dir, name), { force: true });
    }
  }

  /**
   * An exclusive lock file for building `key`. When another process holds it, waits (up to lockWaitMs)
   * for it to finish; a stale lock is taken over. Building without the lock is still safe, only wasteful.
   */
  private async lock(key: string): Promise<{ waited: boolean; unlock: () => Promise<void> }> {
    const path = join(this.dir, `${key}.lock`);
    await mkdir(this.dir, { recursive: true });
    const deadline = Date.now() + this.lockWaitMs;
    let waited = false;
    for (;;) {
      try {
        const handle = await open(path, 'wx');
        await handle.writeFile(`${process.pid}\n`);
        await handle.close();
        return { waited, unlock: () => rm(path, { force: true }) };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const info = await stat(path).catch(() => undefined);
      if (info && Date.now() - info.mtimeMs > this.staleLockMs) await rm(path, { force: true });
      else if (Date.now() > deadline) return { waited, unlock: async () => undefined };
      else {
        waited = true;
        await new Promise((resolve) => setTimeout(resolve, this.pollMs));
      }
    }
  }
}

async function writeEntry(path: string, key: string, parts: Record<string, unknown>, build: TableBuilder): Promise<void> {
  const writer = new TokenTableWriter(path);
  try {
    await build(writer);
  } catch (error) {
    writer.abort();
    throw error;
  }
  writer.finish(key, parts);
}

/**
 * A table built for this run only (caching disabled): written the same way into a temporary directory and
 * read by position; the file is unlinked once open, so nothing is left behind and memory stays flat.
 */
export async function buildUncached(parts: Record<string, unknown>, build: TableBuilder): Promise<TokenizedDataset> {
  const dir = mkdtempSync(join(tmpdir(), 'aligntune-table-'));
  const key = DatasetCache.key(parts);
  try {
    await writeEntry(join(dir, `${key}${ENTRY_SUFFIX}`), key, parts, build);
    return openEntry(join(dir, `${key}${ENTRY_SUFFIX}`), { unlink: true }).dataset;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
