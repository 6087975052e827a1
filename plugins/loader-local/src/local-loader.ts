import { homedir } from 'node:os';
import { resolve } from 'node:path';
import { type DatasetConfig } from '@aligntune/core/config';
import {
  countDataFileRows,
  hashFile,
  readDataFiles,
  type RowReadOptions,
  type DataFile,
  type LoadContext,
  type RecordSource,
  type SourceRow,
  type SplitSource,
} from '@aligntune/core/data';
import { DatasetLoader } from '@aligntune/core/kernel';
import { contentHash } from '@aligntune/core/util';
import { localSplitFiles } from './local-files.js';

/** Local files: .jsonl, .json, .csv, .tsv (optionally .gz) and .parquet, or a directory of shards. */
@DatasetLoader('local', { serves: 'files', description: 'jsonl, json, csv, tsv, parquet files and directories of shards' })
export class LocalLoader implements RecordSource {
  async open(ds: DatasetConfig, ctx: LoadContext): Promise<SplitSource> {
    const path = resolve(ctx.baseDir, ds.name.replace(/^~(?=$|[/\\])/, homedir()));
    const files = await localSplitFiles(path, ds.name, ds.split);
    return new LocalSplit(ds.name, ds.split, files);
  }
}

class LocalSplit implements SplitSource {
  readonly description: string;

  constructor(
    name: string,
    split: string,
    private readonly files: DataFile[],
  ) {
    this.description = files.length === 1 && files[0]!.display === name ? name : `${name} (${split})`;
  }

  async fingerprint(): Promise<string> {
    // content, not paths or mtimes: a copied or touched file keeps its cache entries
    const hashes = [];
    for (const file of this.files) hashes.push([file.display, await hashFile(file.path)]);
    return `local:${contentHash(hashes)}`;
  }

  countRows(): Promise<number | undefined> {
    return countDataFileRows(this.files);
  }

  rows(options?: RowReadOptions): AsyncIterable<SourceRow> {
    return readDataFiles(this.files, options);
  }
}
