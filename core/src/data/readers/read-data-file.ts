import { DataError } from '../data-error.js';
import type { SourceRow } from '../row.js';
import { readCsv } from './csv-reader.js';
import { fileFormatOf, SUPPORTED_EXTENSIONS, type FileFormat } from './data-format.js';
import { readJson } from './json-reader.js';
import { readJsonl } from './jsonl-reader.js';
import type { BadRowHandler } from './parse-row-json.js';
import { countParquetRows, readParquet } from './parquet-reader.js';

/** A data file to read: where it is, and how to name it in messages. */
export interface DataFile {
  path: string;
  /** Shown in errors and origins (a relative path, or `<repo>/<path>` for Hub files). Default: path. */
  display?: string;
}

/** The format of a file, or an error naming the supported extensions. */
export function requireFileFormat(path: string, display = path): FileFormat {
  const format = fileFormatOf(path);
  if (!format) {
    throw DataError.inFile(display, `unsupported data file type; expected one of .${SUPPORTED_EXTENSIONS.join(', .')} (text formats may end in .gz)`);
  }
  return format;
}

/** How rows are read: by default a malformed row stops the read; with `onBadRow` it is handed over and skipped. */
export interface RowReadOptions {
  onBadRow?: BadRowHandler;
}

/** The rows of one file of any supported format, streamed, each with its file and line/row. */
export function readDataFile(file: DataFile, options: RowReadOptions = {}): AsyncGenerator<SourceRow> {
  const display = file.display ?? file.path;
  const { format, gzip } = requireFileFormat(file.path, display);
  switch (format) {
    case 'jsonl':
      return readJsonl(file.path, display, gzip, options.onBadRow);
    case 'json':
      return readJson(file.path, display, gzip, options.onBadRow);
    case 'csv':
      return readCsv(file.path, display, gzip, ',', options.onBadRow);
    case 'tsv':
      return readCsv(file.path, display, gzip, '\t', options.onBadRow);
    case 'parquet':
      return readParquet(file.path, display);
  }
}

/** The rows of several files (shards) one after another. */
export async function* readDataFiles(files: readonly DataFile[], options: RowReadOptions = {}): AsyncGenerator<SourceRow> {
  for (const file of files) yield* readDataFile(file, options);
}

/** Total rows when every file is parquet (footers hold counts); undefined when counting means reading. */
export async function countDataFileRows(files: readonly DataFile[]): Promise<number | undefined> {
  let total = 0;
  for (const file of files) {
    if (requireFileFormat(file.path, file.display).format !== 'parquet') return undefined;
    total += await countParquetRows(file.path, file.display ?? file.path);
  }
  return total;
}
