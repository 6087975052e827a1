import { basename } from 'node:path';

export type DataFormat = 'jsonl' | 'json' | 'csv' | 'tsv' | 'parquet';

export interface FileFormat {
  format: DataFormat;
  /** gzip-compressed text (`train.jsonl.gz`, as Anthropic/hh-rlhf ships). */
  gzip: boolean;
}

const EXTENSIONS: Record<string, DataFormat> = {
  jsonl: 'jsonl',
  ndjson: 'jsonl',
  json: 'json',
  csv: 'csv',
  tsv: 'tsv',
  parquet: 'parquet',
};

export const SUPPORTED_EXTENSIONS = Object.keys(EXTENSIONS);

/** The format of a data file from its name, or undefined when it is not a data file this reader knows. */
export function fileFormatOf(path: string): FileFormat | undefined {
  const parts = basename(path).toLowerCase().split('.');
  const gzip = parts.length > 2 && parts.at(-1) === 'gz';
  const extension = gzip ? parts.at(-2) : parts.length > 1 ? parts.at(-1) : undefined;
  const format = extension ? EXTENSIONS[extension] : undefined;
  if (!format || (gzip && format === 'parquet')) return undefined;
  return { format, gzip };
}
