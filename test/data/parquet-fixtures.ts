import { gzipSync } from 'node:zlib';
import { parquetWriteBuffer, type ColumnSource } from 'hyparquet-writer';

/**
 * A zstd frame made of raw (stored) blocks: a valid frame any decoder must accept, so the reader's ZSTD
 * path is tested without a zstd compressor (Node 20's zlib has none).
 */
export function zstdStored(input: Uint8Array): Uint8Array {
  const blocks: Uint8Array[] = [];
  const max = 128 * 1024;
  for (let at = 0; at < input.length || at === 0; at += max) {
    const chunk = input.subarray(at, at + max);
    const last = at + max >= input.length ? 1 : 0;
    const header = (chunk.length << 3) | last; // block type 0 = raw
    blocks.push(Uint8Array.of(header & 0xff, (header >> 8) & 0xff, (header >> 16) & 0xff), chunk);
    if (input.length === 0) break;
  }
  const size = Buffer.alloc(4);
  size.writeUInt32LE(input.length);
  // magic, descriptor: single segment + 4-byte content size
  return Buffer.concat([Uint8Array.of(0x28, 0xb5, 0x2f, 0xfd, 0xa0), size, ...blocks]);
}

export type Codec = 'SNAPPY' | 'GZIP' | 'ZSTD' | 'UNCOMPRESSED';

/** A parquet file of the given columns, with the codec and row-group size asked for. */
export function parquetBytes(columnData: ColumnSource[], codec: Codec = 'SNAPPY', rowGroupSize = 1000): Uint8Array {
  const compressors = { GZIP: (b: Uint8Array) => new Uint8Array(gzipSync(b)), ZSTD: zstdStored };
  return new Uint8Array(parquetWriteBuffer({ columnData, codec, compressors, rowGroupSize }));
}
