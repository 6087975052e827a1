import type { DataLogger } from '../data-logger.js';
import { HubClient } from './hub-client.js';
import type { HubFile, HubRepo } from './hub-repo.js';
import { hubSettingsFromEnv, type HubSettings } from './hub-settings.js';

export interface DownloadRepoOptions {
  /** Branch, tag or commit. Default "main". */
  revision?: string;
  /** Which files to fetch: a list of repo paths, or a predicate over the listing. Default: all. */
  files?: readonly string[] | ((file: HubFile) => boolean);
  settings?: HubSettings;
  logger?: DataLogger;
}

/** A repo's files at one commit, on local disk. */
export interface RepoSnapshot {
  commit: string;
  /** `snapshots/<commit>/` in the hub cache; repo paths are relative to it. */
  dir: string;
  /** The repo paths fetched, sorted. */
  files: string[];
  /** Local path of each fetched file, in the order of `files`. */
  localPaths: string[];
}

/**
 * Fetches some or all files of a Hub repo (model or dataset) into the shared cache and says where they are:
 * what `model.name_or_path` and dataset ids use. A warm cache costs one revision lookup (none for a sha).
 */
export async function downloadRepoFiles(repo: HubRepo, options: DownloadRepoOptions = {}): Promise<RepoSnapshot> {
  const client = new HubClient(options.settings ?? hubSettingsFromEnv(), options.logger);
  const commit = await client.resolveRevision(repo, options.revision ?? 'main');
  const files = await selectFiles(client, repo, commit, options.files);
  const localPaths = await client.download(repo, commit, files);
  return { commit, dir: client.snapshotDir(repo, commit), files, localPaths };
}

async function selectFiles(client: HubClient, repo: HubRepo, commit: string, wanted: DownloadRepoOptions['files']): Promise<string[]> {
  // an explicit list needs no listing, so a warm cache with a sha makes no request at all
  if (Array.isArray(wanted)) return [...wanted].sort();
  const listing = await client.listFiles(repo, commit);
  const filter = typeof wanted === 'function' ? wanted : () => true;
  return listing.filter(filter).map((file) => file.path);
}
