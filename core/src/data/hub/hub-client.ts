import { datasetInfo, downloadFileToCacheDir, listFiles, modelInfo } from '@huggingface/hub';
import { readFile } from 'node:fs/promises';
import { writeDataAtomic } from '../../util/atomic-write.js';
import type { DataLogger } from '../data-logger.js';
import { HubCacheLayout, isFile } from './hub-cache-layout.js';
import { HubError, hubFailure, redactToken } from './hub-error.js';
import { COMMIT_SHA, describeRepo, type HubFile, type HubRepo } from './hub-repo.js';
import { hubSettingsFromEnv, type HubSettings } from './hub-settings.js';

const PARALLEL_DOWNLOADS = 4;

/**
 * The Hub through @huggingface/hub, with a cache Python's huggingface_hub shares: revisions are resolved to
 * a commit first (and `refs/<revision>` written, which the library does not do), files are downloaded into
 * `snapshots/<commit>/`, and a commit's file listing is kept so a warm cache needs only the revision lookup
 * (or nothing, for a commit sha). Offline, only the cache is used and every miss is named.
 */
export class HubClient {
  constructor(
    readonly settings: HubSettings = hubSettingsFromEnv(),
    private readonly logger?: DataLogger,
  ) {}

  /** The commit sha a revision (branch, tag, `refs/convert/parquet`, or sha) points to. */
  async resolveRevision(repo: HubRepo, revision = 'main'): Promise<string> {
    if (COMMIT_SHA.test(revision)) return revision;
    const layout = this.layout(repo);
    if (this.settings.offline) {
      const cached = await layout.readRef(revision);
      if (cached) return cached;
      throw this.offlineMiss(`${describeRepo(repo)} revision "${revision}" is not in the Hub cache (no ${layout.refPath(revision)})`);
    }
    const commit = await this.fetchSha(repo, revision, layout);
    await layout.writeRef(revision, commit);
    return commit;
  }

  /** Every file of the repo at a commit (listing cached per commit; offline: the cached listing or the snapshot). */
  async listFiles(repo: HubRepo, commit: string): Promise<HubFile[]> {
    const layout = this.layout(repo);
    const cached = await readListing(layout.listingPath(commit));
    if (cached) return cached;
    if (this.settings.offline) return this.offlineListing(repo, layout, commit);
    const files = await this.fetchListing(repo, commit);
    await writeDataAtomic(layout.listingPath(commit), JSON.stringify(files));
    return files;
  }

  /** Local paths (in `snapshots/<commit>/`) of the given repo files, downloading those not cached. */
  async download(repo: HubRepo, commit: string, paths: readonly string[]): Promise<string[]> {
    const layout = this.layout(repo);
    const missing: string[] = [];
    for (const path of paths) if (!(await isFile(layout.snapshotFile(commit, path)))) missing.push(path);
    if (missing.length > 0 && this.settings.offline) {
      const shown = missing.slice(0, 10).join(', ') + (missing.length > 10 ? `, ... (${missing.length} in all)` : '');
      throw this.offlineMiss(`${describeRepo(repo)}@${commit.slice(0, 7)}: not in the Hub cache: ${shown} (in ${layout.snapshotDir(commit)})`);
    }
    await inPool(missing, PARALLEL_DOWNLOADS, (path) => this.downloadOne(repo, commit, path));
    return paths.map((path) => layout.snapshotFile(commit, path));
  }

  /** `snapshots/<commit>/` of the repo in the cache. */
  snapshotDir(repo: HubRepo, commit: string): string {
    return this.layout(repo).snapshotDir(commit);
  }

  private layout(repo: HubRepo): HubCacheLayout {
    return new HubCacheLayout(this.settings.cacheDir, repo);
  }

  private async fetchSha(repo: HubRepo, revision: string, layout: HubCacheLayout): Promise<string> {
    const params = { name: repo.name, revision, additionalFields: ['sha' as const], ...this.credentials() };
    try {
      const info = repo.type === 'dataset' ? await datasetInfo(params) : await modelInfo(params);
      if (typeof info.sha !== 'string' || !COMMIT_SHA.test(info.sha)) throw new Error(`the Hub returned no commit sha`);
      return info.sha;
    } catch (error) {
      const cached = (error as { statusCode?: number }).statusCode === undefined ? await layout.readRef(revision) : undefined;
      if (!cached) throw hubFailure(error, `cannot resolve ${describeRepo(repo)} revision "${revision}" on ${this.settings.endpoint}`, this.settings.token);
      // unreachable Hub (no HTTP status): the cached ref is what Python would use too
      this.logger?.warn(redactToken(`Hub unreachable (${(error as Error).message}); using cached ${describeRepo(repo)}@${cached.slice(0, 7)}`, this.settings.token));
      return cached;
    }
  }

  private async fetchListing(repo: HubRepo, commit: string): Promise<HubFile[]> {
    const files: HubFile[] = [];
    try {
      for await (const entry of listFiles({ repo, revision: commit, recursive: true, ...this.credentials() })) {
        if (entry.type === 'file') files.push({ path: entry.path, size: entry.size });
      }
    } catch (error) {
      throw hubFailure(error, `cannot list ${describeRepo(repo)}@${commit.slice(0, 7)}`, this.settings.token);
    }
    return files.sort((a, b) => a.path.localeCompare(b.path));
  }

  private async offlineListing(repo: HubRepo, layout: HubCacheLayout, commit: string): Promise<HubFile[]> {
    const paths = await layout.snapshotFiles(commit);
    if (!paths) throw this.offlineMiss(`${describeRepo(repo)}@${commit.slice(0, 7)} has no snapshot in the Hub cache (${layout.snapshotDir(commit)})`);
    return paths.map((path) => ({ path, size: 0 }));
  }

  private async downloadOne(repo: HubRepo, commit: string, path: string): Promise<void> {
    this.logger?.info(`downloading ${repo.name}/${path} @ ${commit.slice(0, 7)}`);
    try {
      await downloadFileToCacheDir({ repo, path, revision: commit, cacheDir: this.settings.cacheDir, ...this.credentials() });
    } catch (error) {
      throw hubFailure(error, `cannot download ${repo.name}/${path} @ ${commit.slice(0, 7)}`, this.settings.token);
    }
  }

  private credentials(): { hubUrl: string; accessToken?: string; fetch?: typeof fetch } {
    const { endpoint, token, fetch } = this.settings;
    return { hubUrl: endpoint, ...(token ? { accessToken: token } : {}), ...(fetch ? { fetch } : {}) };
  }

  private offlineMiss(detail: string): HubError {
    return new HubError(`HF_HUB_OFFLINE is set and ${detail}. Run once online to fill the cache, or unset HF_HUB_OFFLINE.`, undefined, 2);
  }
}

async function readListing(path: string): Promise<HubFile[] | undefined> {
  try {
    const parsed = JSON.parse(await readFile(path, 'utf8')) as unknown;
    return Array.isArray(parsed) ? (parsed as HubFile[]) : undefined;
  } catch {
    return undefined;
  }
}

/** Runs `task` over items with at most `limit` at a time; the first failure wins. */
async function inPool<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await task(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
