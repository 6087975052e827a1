import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects, type AsyncBuffer, type FileMetaData } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { DataError } from '../data-error.js';
import type { Row, SourceRow } from '../row.js';
import { toJsonValue } from './json-value.js';

interface OpenParquet {
  file: AsyncBuffer;
  metadata: FileMetaData;
}

async function openParquet(path: string, display: string): Promise<OpenParquet> {
  try {
    const file = await asyncBufferFromFile(path);
    return { file, metadata: await parquetMetadataAsync(file) };
  } catch (error) {
    throw DataError.inFile(display, `not a readable parquet file: ${(error as Error).message}`);
  }
}

/** Rows in the file's footer, without reading any data. */
export async function countParquetRows(path: string, display: string): Promise<number> {
  const { metadata } = await openParquet(path, display);
  return Number(metadata.num_rows);
}

/**
 * A parquet file read one row group at a time (so memory holds one group, not the file), with every codec
 * hyparquet-compressors knows (snappy, gzip, zstd, brotli, lz4). INT64 becomes a number when exact, else a
 * string.
 */
export async function* readParquet(path: string, display: string): AsyncGenerator<SourceRow> {
  const { file, metadata } = await openParquet(path, display);
  let rowStart = 0;
  for (const group of metadata.row_groups) {
    const rowEnd = rowStart + Number(group.num_rows);
    const rows = await readGroup({ file, metadata }, rowStart, rowEnd, display);
    for (let i = 0; i < rows.length; i++) {
      yield { values: toJsonValue(rows[i]) as Row, origin: { file: display, row: rowStart + i + 1 } };
    }
    rowStart = rowEnd;
  }
}

async function readGroup(open: OpenParquet, rowStart: number, rowEnd: number, display: string): Promise<Row[]> {
  try {
    return await parquetReadObjects({ ...open, rowStart, rowEnd, compressors });
  } catch (error) {
    throw DataError.inFile(display, `cannot decode rows ${rowStart + 1}-${rowEnd}: ${(error as Error).message}`);
  }
}
