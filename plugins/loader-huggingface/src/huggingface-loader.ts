import { type DatasetConfig } from '@aligntune/core/config';
import {
  countDataFileRows,
  HubClient,
  hubSettingsFromEnv,
  readDataFiles,
  type RowReadOptions,
  type DataFile,
  type HubRepo,
  type LoadContext,
  type RecordSource,
  type SourceRow,
  type SplitSource,
} from '@aligntune/core/data';
import { DatasetLoader } from '@aligntune/core/kernel';
import { resolveAlias } from './dataset-aliases.js';
import { locateSplit, type LocatedSplit } from './locate-split.js';

/**
 * Hugging Face Hub datasets by id, through the shared Python-compatible cache: HF_ENDPOINT, HF_TOKEN,
 * HF_HOME / HF_HUB_CACHE and HF_HUB_OFFLINE are honoured; `subset` picks the config, `revision` the branch,
 * tag or commit. Parquet, jsonl, json and csv files (text ones possibly .gz) are read.
 */
@DatasetLoader('huggingface', { serves: 'hub', description: 'Hugging Face Hub datasets (parquet, jsonl, json, csv)' })
export class HuggingFaceLoader implements RecordSource {
  async open(ds: DatasetConfig, ctx: LoadContext): Promise<SplitSource> {
    const { name, subset } = resolveAlias(ds.name, ds.subset);
    const client = new HubClient(ctx.hub ?? hubSettingsFromEnv(), ctx.logger);
    const repo: HubRepo = { type: 'dataset', name };
    const located = await locateSplit(client, repo, ds.revision, { repo: name, subset, split: ds.split });
    const local = await client.download(repo, located.commit, located.files);
    const files = located.files.map((path, i) => ({ path: local[i]!, display: `${name}/${path}` }));
    return new HubSplit(name, ds.split, located, files);
  }
}

class HubSplit implements SplitSource {
  readonly description: string;

  constructor(
    private readonly name: string,
    private readonly split: string,
    private readonly located: LocatedSplit,
    private readonly files: DataFile[],
  ) {
    const config = located.config ? ` ${located.config}` : '';
    this.description = `${name}${config}:${split}@${located.commit.slice(0, 7)}`;
  }

  async fingerprint(): Promise<string> {
    // a commit fixes every file's content
    return `hf:${this.name}@${this.located.commit}:${this.located.config ?? ''}:${this.split}:${this.located.files.join(',')}`;
  }

  countRows(): Promise<number | undefined> {
    return countDataFileRows(this.files);
  }

  rows(options?: RowReadOptions): AsyncIterable<SourceRow> {
    return readDataFiles(this.files, options);
  }
}
