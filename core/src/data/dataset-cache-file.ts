import { createHash } from 'node:crypto';
import { packRagged, type RaggedInt32 } from './ragged.js';
import { TOKEN_COLUMNS, TokenizedDataset, type TokenColumn, type TokenizedRowInfo } from './tokenized-dataset.js';

/**
 * The binary layout of one cache entry:
 *
 *   "ATDS" | u32 version | u32 header length | header JSON | zero padding to 4 bytes
 *   | per column: Int32 token values, Uint32 offsets (rows + 1) | row infos as JSON lines
 *   | sha256 of everything before it (32 bytes)
 *
 * The header says where each section is; the checksum makes any torn or corrupted file detectable.
 */
const MAGIC = 'ATDS';
export const CACHE_FORMAT_VERSION = 2;

/** What an entry's header records. */
export interface CacheEntryHeader {
  key: string;
  /** The inputs the key was made from, for `aligntune cache ls`. */
  parts: Record<string, unknown>;
  createdAt: string;
  rows: number;
  tokens: number;
  sections: Record<string, [offset: number, length: number]>;
}

export class CorruptEntryError extends Error {}

export function encodeEntry(dataset: TokenizedDataset, key: string, parts: Record<string, unknown>): Uint8Array {
  const blobs: Array<[string, Uint8Array]> = [];
  let tokens = 0;
  for (const column of TOKEN_COLUMNS) {
    if (!dataset.hasColumn(column)) continue;
    const data = packRagged(Array.from({ length: dataset.size }, (_, i) => dataset.tokens(column, i)));
    tokens += data.values.length;
    blobs.push([`${column}.values`, bytesOf(data.values)], [`${column}.offsets`, bytesOf(data.offsets)]);
  }
  blobs.push(['rows', Buffer.from(Array.from({ length: dataset.size }, (_, i) => JSON.stringify(dataset.row(i))).join('\n'), 'utf8')]);
  const sections: CacheEntryHeader['sections'] = {};
  let at = 0;
  for (const [name, bytes] of blobs) {
    sections[name] = [at, bytes.length];
    at = align4(at + bytes.length);
  }
  const header: CacheEntryHeader = { key, parts, createdAt: new Date().toISOString(), rows: dataset.size, tokens, sections };
  const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
  const bodyStart = align4(12 + headerBytes.length);
  const out = new Uint8Array(bodyStart + at + 32);
  const view = new DataView(out.buffer);
  out.set(Buffer.from(MAGIC, 'latin1'), 0);
  view.setUint32(4, CACHE_FORMAT_VERSION, true);
  view.setUint32(8, headerBytes.length, true);
  out.set(headerBytes, 12);
  for (const [name, bytes] of blobs) out.set(bytes, bodyStart + sections[name]![0]);
  out.set(sha256(out.subarray(0, out.length - 32)), out.length - 32);
  return out;
}

/** The header alone (from the first bytes of a file), for listing without reading the data. */
export function decodeHeader(bytes: Uint8Array): CacheEntryHeader {
  if (bytes.length < 12 || Buffer.from(bytes.subarray(0, 4)).toString('latin1') !== MAGIC) throw new CorruptEntryError('not a dataset cache entry');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(4, true);
  if (version !== CACHE_FORMAT_VERSION) throw new CorruptEntryError(`format version ${version}, expected ${CACHE_FORMAT_VERSION}`);
  const length = view.getUint32(8, true);
  if (12 + length > bytes.length) throw new CorruptEntryError('truncated header');
  try {
    return JSON.parse(Buffer.from(bytes.subarray(12, 12 + length)).toString('utf8')) as CacheEntryHeader;
  } catch {
    throw new CorruptEntryError('unreadable header');
  }
}

/** Header length as stored, so a reader can fetch exactly the header bytes. */
export function headerByteLength(prefix: Uint8Array): number {
  return 12 + new DataView(prefix.buffer, prefix.byteOffset, prefix.byteLength).getUint32(8, true);
}

/** The dataset in an entry, after checking its checksum: a corrupt entry is never trusted. */
export function decodeEntry(bytes: Uint8Array): { header: CacheEntryHeader; dataset: TokenizedDataset } {
  const header = decodeHeader(bytes);
  verifyChecksum(bytes);
  const bodyStart = align4(headerByteLength(bytes));
  const section = (name: string) => {
    const [offset, length] = header.sections[name]!;
    return bytes.subarray(bodyStart + offset, bodyStart + offset + length);
  };
  const columns: Partial<Record<TokenColumn, RaggedInt32>> = {};
  for (const column of TOKEN_COLUMNS) {
    if (!header.sections[`${column}.values`]) continue;
    columns[column] = { values: int32(section(`${column}.values`)), offsets: uint32(section(`${column}.offsets`)) };
  }
  const text = Buffer.from(section('rows')).toString('utf8');
  const rows = text === '' ? [] : text.split('\n').map((line) => JSON.parse(line) as TokenizedRowInfo);
  if (rows.length !== header.rows) throw new CorruptEntryError(`holds ${rows.length} rows, header says ${header.rows}`);
  return { header, dataset: new TokenizedDataset(columns, rows) };
}

export function verifyChecksum(bytes: Uint8Array): void {
  if (bytes.length < 44) throw new CorruptEntryError('truncated');
  const expected = bytes.subarray(bytes.length - 32);
  if (!Buffer.from(sha256(bytes.subarray(0, bytes.length - 32))).equals(Buffer.from(expected))) throw new CorruptEntryError('checksum mismatch');
}

function sha256(bytes: Uint8Array): Uint8Array {
  return createHash('sha256').update(bytes).digest();
}

function align4(n: number): number {
  return (n + 3) & ~3;
}

function bytesOf(array: Int32Array | Uint32Array): Uint8Array {
  return new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
}

/** A copy in fresh memory: aligned, and independent of the file buffer (Buffer#slice would share it). */
function copyBytes(bytes: Uint8Array): ArrayBuffer {
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return copy.buffer;
}

function int32(bytes: Uint8Array): Int32Array {
  return new Int32Array(copyBytes(bytes));
}

function uint32(bytes: Uint8Array): Uint32Array {
  return new Uint32Array(copyBytes(bytes));
}
