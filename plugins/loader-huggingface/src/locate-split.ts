import { DataError, parseCardConfigs, type HubClient, type HubRepo } from '@aligntune/core/data';
import { readFile } from 'node:fs/promises';
import { selectByName, selectConvertedParquet, selectFromCard, type Selection, type SelectionRequest } from './split-file-selection.js';

export const PARQUET_BRANCH = 'refs/convert/parquet';

/** The commit and repo files holding one split. */
export interface LocatedSplit extends Selection {
  commit: string;
  revision: string;
}

/**
 * Finds a split's files at a revision: by the dataset card's `configs:` when it has them, else in the
 * converted-parquet layout, else by file names. With no revision given and nothing readable on main (a
 * script-based dataset, say), the Hub's `refs/convert/parquet` branch is tried.
 */
export async function locateSplit(client: HubClient, repo: HubRepo, revision: string | undefined, request: SelectionRequest): Promise<LocatedSplit> {
  const wanted = revision ?? 'main';
  try {
    return await locateAt(client, repo, wanted, request);
  } catch (error) {
    if (revision !== undefined || !(error instanceof DataError)) throw error;
    try {
      return await locateAt(client, repo, PARQUET_BRANCH, request);
    } catch {
      throw error; // the main branch's message is the one that helps
    }
  }
}

async function locateAt(client: HubClient, repo: HubRepo, revision: string, request: SelectionRequest): Promise<LocatedSplit> {
  const commit = await client.resolveRevision(repo, revision);
  const paths = (await client.listFiles(repo, commit)).map((file) => file.path);
  const selection = await select(client, repo, commit, paths, request);
  if (selection.files.length === 0) throw new DataError(`${repo.name}@${revision}: no readable data files for split "${request.split}"`);
  return { ...selection, commit, revision };
}

async function select(client: HubClient, repo: HubRepo, commit: string, paths: string[], request: SelectionRequest): Promise<Selection> {
  const configs = paths.includes('README.md') ? parseCardConfigs(await readCard(client, repo, commit)) : [];
  if (configs.length > 0) return selectFromCard(configs, paths, request);
  return selectConvertedParquet(paths, request) ?? selectByName(paths, request);
}

async function readCard(client: HubClient, repo: HubRepo, commit: string): Promise<string> {
  try {
    const [path] = await client.download(repo, commit, ['README.md']);
    return await readFile(path!, 'utf8');
  } catch (error) {
    // offline with the data but not the card (downloaded by other tools): fall back to file names
    if (client.settings.offline) return '';
    throw error;
  }
}
