import type { DatasetConfig } from '../config/dataset-config.js';
import type { DataLogger } from './data-logger.js';
import type { HubSettings } from './hub/hub-settings.js';
import type { RowReadOptions } from './readers/read-data-file.js';
import type { SourceRow } from './row.js';

/** What a loader gets besides the dataset config. */
export interface LoadContext {
  /** Directory that relative dataset paths resolve against (the working directory, as in HF tools). */
  baseDir: string;
  logger?: DataLogger;
  /** Hub endpoint, token, cache and offline mode; default: from the environment (hubSettingsFromEnv). */
  hub?: HubSettings;
}

/**
 * One split of one dataset, opened: the revision is resolved and the files are local, so the fingerprint is
 * known and rows can be read (more than once: a first pass may count them for `percent`).
 */
export interface SplitSource {
  /** For logs: `openai/gsm8k main/train @ 1a2b3c4` or a path. */
  readonly description: string;
  /** Changes whenever the rows may: the resolved commit, or the files' content hashes. */
  fingerprint(): Promise<string>;
  /** Row count when known without reading every row (parquet footers); undefined otherwise. */
  countRows(): Promise<number | undefined>;
  /**
   * The rows in order, streamed (never the whole split in memory), each with its file and line/row. With
   * `options.onBadRow`, malformed rows are handed to it and skipped instead of ending the read.
   */
  rows(options?: RowReadOptions): AsyncIterable<SourceRow>;
}

/** The contract of a `@DatasetLoader(id)` plugin. `ds.split` is the split to open. */
export interface RecordSource {
  open(ds: DatasetConfig, ctx: LoadContext): Promise<SplitSource>;
}
