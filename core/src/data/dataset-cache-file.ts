import { createHash, randomBytes } from 'node:crypto';
import { closeSync, fstatSync, fsyncSync, mkdirSync, openSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { RecordKind } from './canonical-record.js';
import { TOKEN_COLUMNS, TokenizedDataset, type RowStore, type TokenColumn, type TokenizedRowInfo } from './tokenized-dataset.js';

/**
 * The binary layout of one cache entry (little-endian):
 *
 *   "ATDS" | u32 version | u32 header length | header JSON | zero padding to 8 bytes
 *   | index: per row a fixed record of ROW_RECORD_BYTES —
 *       u32 pair token start (in tokens), u32 pair info start (in bytes), u32 info length, u32 kind,
 *       u32 length per token column (TOKEN_COLUMNS order)
 *   | tokens: one Int32 buffer, each row's columns one after another (TOKEN_COLUMNS order)
 *   | infos: the row infos as JSON lines
 *   | sha256 of everything before it (32 bytes)
 *
 * Everything is written as it streams in (sections to side files, joined at the end) and read by position,
 * so neither building nor reading holds the table in memory. The checksum makes any torn or corrupted file
 * detectable.
 */
const MAGIC = 'ATDS';
export const CACHE_FORMAT_VERSION = 3;
const KINDS: readonly RecordKind[] = ['completion', 'preference', 'prompt'];
const FIXED_FIELDS = 6;
export const ROW_RECORD_BYTES = 4 * (FIXED_FIELDS + TOKEN_COLUMNS.length);
const SECTIONS = ['index', 'tokens', 'infos'] as const;
type Section = (typeof SECTIONS)[number];
const BUFFER_BYTES = 1 << 20;

/** What an entry's header records. */
export interface CacheEntryHeader {
  key: string;
  /** The inputs the key was made from, for `aligntune cache ls`. */
  parts: Record<string, unknown>;
  createdAt: string;
  rows: number;
  tokens: number;
  /** The token columns some row has. */
  columns: TokenColumn[];
  /** The record kinds present. */
  kinds: RecordKind[];
  sections: Record<Section, [offset: number, length: number]>;
}

export class CorruptEntryError extends Error {}

/** A row's token ids, by column (absent columns have none). */
export type RowTokens = Partial<Record<TokenColumn, ArrayLike<number>>>;

/** An append-only file written through a buffer (synchronous writes: the bytes are in the kernel on return). */
class BufferedFile {
  private readonly fd: number;
  private readonly buffer = Buffer.allocUnsafe(BUFFER_BYTES);
  private used = 0;
  bytes = 0;

  constructor(readonly path: string) {
    this.fd = openSync(path, 'w');
  }

  write(bytes: Uint8Array): void {
    if (this.used + bytes.length > this.buffer.length) this.flush();
    if (bytes.length > this.buffer.length) writeSync(this.fd, bytes);
    else {
      this.buffer.set(bytes, this.used);
      this.used += bytes.length;
    }
    this.bytes += bytes.length;
  }

  flush(): void {
    if (this.used > 0) writeSync(this.fd, this.buffer, 0, this.used);
    this.used = 0;
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}

/**
 * Writes a table row by row into a cache entry: sections go to side files as rows arrive and are joined
 * into the entry by `finish`, through a temporary file renamed into place (readers see the old entry or the
 * new one, never half of one). Memory stays at a few buffers whatever the row count.
 */
export class TokenTableWriter {
  private readonly files: Record<Section, BufferedFile>;
  private readonly record = Buffer.alloc(ROW_RECORD_BYTES);
  private readonly present = new Set<TokenColumn>();
  private readonly kinds = new Set<RecordKind>();
  private rows = 0;
  private tokens = 0;

  constructor(private readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
    const stem = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}`);
    this.files = Object.fromEntries(SECTIONS.map((s) => [s, new BufferedFile(`${stem}.${s}.tmp`)])) as Record<Section, BufferedFile>;
  }

  get size(): number {
    return this.rows;
  }

  append(tokens: RowTokens, info: TokenizedRowInfo): void {
    const infoBytes = Buffer.from(`${JSON.stringify(info)}\n`, 'utf8');
    writePair(this.record, 0, this.tokens);
    writePair(this.record, 8, this.files.infos.bytes);
    this.record.writeUInt32LE(infoBytes.length - 1, 16);
    this.record.writeUInt32LE(KINDS.indexOf(info.kind), 20);
    this.kinds.add(info.kind);
    TOKEN_COLUMNS.forEach((column, c) => {
      const ids = tokens[column];
      const length = ids?.length ?? 0;
      this.record.writeUInt32LE(length, 4 * (FIXED_FIELDS + c));
      if (!ids || length === 0) return;
      this.present.add(column);
      const values = ids instanceof Int32Array ? ids : Int32Array.from(ids);
      this.files.tokens.write(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
      this.tokens += length;
    });
    this.files.index.write(this.record);
    this.files.infos.write(infoBytes);
    this.rows += 1;
  }

  /** Every row of a table (a dataset already in memory). */
  appendTable(data: TokenizedDataset): void {
    for (let row = 0; row < data.size; row++) {
      this.append(Object.fromEntries(TOKEN_COLUMNS.map((c) => [c, data.tokens(c, row)])), data.row(row));
    }
  }

  /** Joins the sections into the entry at `path`, atomically; returns its header. */
  finish(key: string, parts: Record<string, unknown>): CacheEntryHeader {
    for (const file of Object.values(this.files)) file.close();
    const sections = {} as CacheEntryHeader['sections'];
    let at = 0;
    for (const s of SECTIONS) {
      sections[s] = [at, this.files[s].bytes];
      at = align8(at + this.files[s].bytes);
    }
    const header: CacheEntryHeader = { key, parts, createdAt: new Date().toISOString(), rows: this.rows, tokens: this.tokens, columns: TOKEN_COLUMNS.filter((c) => this.present.has(c)), kinds: KINDS.filter((k) => this.kinds.has(k)), sections };
    const tmp = `${this.files.index.path.slice(0, -'.index.tmp'.length)}.tmp`;
    try {
      joinSections(tmp, header, this.files);
      renameSync(tmp, this.path);
    } finally {
      this.abort();
      rmSync(tmp, { force: true });
    }
    return header;
  }

  /** Removes the side files (a failed build leaves nothing behind). */
  abort(): void {
    for (const file of Object.values(this.files)) {
      try {
        file.close();
      } catch {
        // already closed
      }
      rmSync(file.path, { force: true });
    }
  }
}

function joinSections(tmp: string, header: CacheEntryHeader, files: Record<Section, BufferedFile>): void {
  const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
  const prefix = Buffer.alloc(align8(12 + headerBytes.length));
  prefix.write(MAGIC, 0, 'latin1');
  prefix.writeUInt32LE(CACHE_FORMAT_VERSION, 4);
  prefix.writeUInt32LE(headerBytes.length, 8);
  headerBytes.copy(prefix, 12);
  const hash = createHash('sha256');
  const fd = openSync(tmp, 'w');
  try {
    const put = (bytes: Uint8Array) => {
      hash.update(bytes);
      writeSync(fd, bytes);
    };
    put(prefix);
    const chunk = Buffer.allocUnsafe(BUFFER_BYTES);
    for (const s of SECTIONS) {
      const source = openSync(files[s].path, 'r');
      try {
        for (let n; (n = readSync(source, chunk, 0, chunk.length, null)) > 0; ) put(chunk.subarray(0, n));
      } finally {
        closeSync(source);
      }
      const pad = align8(files[s].bytes) - files[s].bytes;
      if (pad > 0) put(Buffer.alloc(pad));
    }
    writeSync(fd, hash.digest());
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
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

/** The header of the entry open at `fd` (12 bytes, then the header's own length) and where the sections start. */
function readHeaderAt(fd: number): { header: CacheEntryHeader; bodyStart: number } {
  const prefix = Buffer.alloc(12);
  if (readSync(fd, prefix, 0, 12, 0) < 12) throw new CorruptEntryError('truncated');
  const bytes = Buffer.alloc(12 + prefix.readUInt32LE(8));
  if (readSync(fd, bytes, 0, bytes.length, 0) < bytes.length) throw new CorruptEntryError('truncated header');
  return { header: decodeHeader(bytes), bodyStart: align8(bytes.length) };
}

/** The header of an entry, reading only its first bytes. */
export function readEntryHeader(path: string): CacheEntryHeader {
  const fd = openSync(path, 'r');
  try {
    return readHeaderAt(fd).header;
  } finally {
    closeSync(fd);
  }
}

/** Checks the entry's checksum, reading it in chunks (memory stays flat whatever its size). */
function verifyChecksumAt(fd: number, size: number): void {
  if (size < 44) throw new CorruptEntryError('truncated');
  const hash = createHash('sha256');
  const chunk = Buffer.allocUnsafe(BUFFER_BYTES);
  for (let at = 0; at < size - 32; ) {
    const n = readSync(fd, chunk, 0, Math.min(chunk.length, size - 32 - at), at);
    if (n <= 0) throw new CorruptEntryError('truncated');
    hash.update(chunk.subarray(0, n));
    at += n;
  }
  const stored = Buffer.alloc(32);
  readSync(fd, stored, 0, 32, size - 32);
  if (!hash.digest().equals(stored)) throw new CorruptEntryError('checksum mismatch');
}

const closeWhenCollected = new FinalizationRegistry<number>((fd) => {
  try {
    closeSync(fd);
  } catch {
    // already closed
  }
});

/**
 * Opens an entry after checking its checksum (a corrupt entry is never trusted) and its layout. The table
 * reads rows by position from the open file: memory holds the header and a few recently read rows, not the
 * table. `unlink` removes the path once open (a table built only for this run).
 */
export function openEntry(path: string, options: { unlink?: boolean } = {}): { header: CacheEntryHeader; dataset: TokenizedDataset } {
  const fd = openSync(path, 'r');
  try {
    const { header, bodyStart } = checkedHeaderAt(fd);
    if (options.unlink) rmSync(path, { force: true });
    const store = new FileRows(fd, header, bodyStart);
    const dataset = new TokenizedDataset(store);
    closeWhenCollected.register(dataset, fd);
    return { header, dataset };
  } catch (error) {
    closeSync(fd);
    throw error;
  }
}

/** Reads and checks an entry whole (checksum and layout) without keeping it open. */
export function verifyEntry(path: string): void {
  const fd = openSync(path, 'r');
  try {
    checkedHeaderAt(fd);
  } finally {
    closeSync(fd);
  }
}

/** The header of the entry open at `fd`, after its checksum and layout are checked. */
function checkedHeaderAt(fd: number): { header: CacheEntryHeader; bodyStart: number } {
  const { header, bodyStart } = readHeaderAt(fd);
  const size = fstatSync(fd).size;
  verifyChecksumAt(fd, size);
  checkLayout(header, bodyStart, size);
  return { header, bodyStart };
}

function checkLayout(header: CacheEntryHeader, bodyStart: number, size: number): void {
  const [indexAt, indexLength] = header.sections.index;
  if (indexLength !== header.rows * ROW_RECORD_BYTES) throw new CorruptEntryError(`index holds ${indexLength / ROW_RECORD_BYTES} rows, header says ${header.rows}`);
  const [infosAt, infosLength] = header.sections.infos;
  if (bodyStart + Math.max(indexAt + indexLength, infosAt + infosLength, header.sections.tokens[0] + header.sections.tokens[1]) > size - 32) {
    throw new CorruptEntryError('sections run past the end of the file');
  }
}

const ROW_CACHE = 512;

/** A cache entry's rows, read by position (`readSync`) from its open file; the last rows read are kept. */
class FileRows implements RowStore {
  private readonly recent = new Map<number, { record: Buffer; tokens: Int32Array }>();
  private readonly at: Record<Section, number>;

  constructor(
    private readonly fd: number,
    private readonly header: CacheEntryHeader,
    bodyStart: number,
  ) {
    this.at = Object.fromEntries(SECTIONS.map((s) => [s, bodyStart + header.sections[s][0]])) as Record<Section, number>;
  }

  get size(): number {
    return this.header.rows;
  }

  tokens(column: TokenColumn, row: number): Int32Array {
    const { record, tokens } = this.load(row);
    const c = TOKEN_COLUMNS.indexOf(column);
    let start = 0;
    for (let k = 0; k < c; k++) start += record.readUInt32LE(4 * (FIXED_FIELDS + k));
    return tokens.subarray(start, start + record.readUInt32LE(4 * (FIXED_FIELDS + c)));
  }

  length(column: TokenColumn, row: number): number {
    return this.record(row).readUInt32LE(4 * (FIXED_FIELDS + TOKEN_COLUMNS.indexOf(column)));
  }

  info(row: number): TokenizedRowInfo {
    const record = this.record(row);
    const bytes = Buffer.alloc(record.readUInt32LE(16));
    readSync(this.fd, bytes, 0, bytes.length, this.at.infos + readPair(record, 8));
    return JSON.parse(bytes.toString('utf8')) as TokenizedRowInfo;
  }

  kind(row: number): RecordKind {
    return KINDS[this.record(row).readUInt32LE(20)]!;
  }

  hasColumn(column: TokenColumn): boolean {
    return this.header.columns.includes(column);
  }

  kinds(): ReadonlySet<RecordKind> {
    return new Set(this.header.kinds);
  }

  contentId(): string {
    return `dataset-cache:${this.header.key}`;
  }

  private record(row: number): Buffer {
    const cached = this.recent.get(row);
    if (cached) return cached.record;
    this.checkRow(row);
    const record = Buffer.alloc(ROW_RECORD_BYTES);
    readSync(this.fd, record, 0, ROW_RECORD_BYTES, this.at.index + row * ROW_RECORD_BYTES);
    return record;
  }

  private load(row: number): { record: Buffer; tokens: Int32Array } {
    const cached = this.recent.get(row);
    if (cached) return cached;
    const record = this.record(row);
    let count = 0;
    for (let c = 0; c < TOKEN_COLUMNS.length; c++) count += record.readUInt32LE(4 * (FIXED_FIELDS + c));
    const tokens = new Int32Array(count);
    if (count > 0) readSync(this.fd, new Uint8Array(tokens.buffer), 0, count * 4, this.at.tokens + readPair(record, 0) * 4);
    if (this.recent.size >= ROW_CACHE) this.recent.clear();
    const loaded = { record, tokens };
    this.recent.set(row, loaded);
    return loaded;
  }

  private checkRow(row: number): void {
    if (!Number.isInteger(row) || row < 0 || row >= this.header.rows) throw new RangeError(`row ${row} of a table of ${this.header.rows} rows`);
  }
}

function writePair(buffer: Buffer, at: number, value: number): void {
  buffer.writeUInt32LE(value % 0x100000000, at);
  buffer.writeUInt32LE(Math.floor(value / 0x100000000), at + 4);
}

function readPair(buffer: Buffer, at: number): number {
  return buffer.readUInt32LE(at) + buffer.readUInt32LE(at + 4) * 0x100000000;
}

function align8(n: number): number {
  return Math.ceil(n / 8) * 8;
}
