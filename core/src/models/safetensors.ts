import { open, stat, type FileHandle } from 'node:fs/promises';
import { endianness } from 'node:os';
import { writeFileAtomic } from '../util/atomic-write.js';
import { bf16ToF32, f16ToF32 } from './half-float.js';
import {
  bytesOf,
  dtypeArrayName,
  dtypeByteSize,
  isArrayFor,
  isSafetensorsDtype,
  shapeNumel,
  viewAs,
  type SafetensorsDtype,
  type StoredTensor,
} from './safetensors-dtype.js';

/** The Rust implementation refuses headers above 100 MB; so do we, which also catches garbage lengths. */
export const MAX_SAFETENSORS_HEADER_BYTES = 100_000_000;
/** One read()/write() call moves at most this much: Node caps a single fs call at 2 GiB. */
const IO_CHUNK_BYTES = 1 << 30;

/** A malformed, truncated or unreadable safetensors file; the message names the file and, if known, the tensor. */
export class SafetensorsError extends Error {
  /** Read by the CLI's exit-code mapping: the user fixes their weight files (exit code 2). */
  readonly exitCode = 2;

  constructor(
    readonly file: string,
    message: string,
    readonly tensor?: string,
  ) {
    super(`${file}: ${tensor === undefined ? '' : `tensor '${tensor}': `}${message}`);
    this.name = 'SafetensorsError';
  }
}

/** One tensor's header entry; offsets are relative to the start of the data section. */
export interface SafetensorsEntry {
  readonly name: string;
  readonly dtype: SafetensorsDtype;
  readonly shape: readonly number[];
  readonly begin: number;
  readonly end: number;
}

export interface SafetensorsHeader {
  /** Entries in data order (ascending offsets). */
  readonly entries: readonly SafetensorsEntry[];
  readonly metadata: Readonly<Record<string, string>> | null;
  /** Byte offset of the data section in the file (8 + header length). */
  readonly dataStart: number;
}

export type TensorMap = ReadonlyMap<string, StoredTensor> | Readonly<Record<string, StoredTensor>>;

export interface ReadTensorOptions {
  /** Keep F16/BF16 as raw Uint16Array bits instead of converting them to F32 (default false). */
  readonly keepRaw?: boolean;
}

export function tensorEntries(tensors: TensorMap): [string, StoredTensor][] {
  return tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors as Record<string, StoredTensor>);
}

/**
 * Parses and validates a header: known dtypes, integer shapes, byte spans that match shape × dtype,
 * and offsets that tile the data section exactly (no overlap, no gap, nothing past the end or after it).
 */
export function parseSafetensorsHeader(json: string, dataSize: number, file: string): SafetensorsHeader {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (err) {
    throw new SafetensorsError(file, `corrupt header: invalid JSON (${(err as Error).message})`);
  }
  if (!isRecord(raw)) throw new SafetensorsError(file, 'corrupt header: expected a JSON object');
  let metadata: Record<string, string> | null = null;
  const entries: SafetensorsEntry[] = [];
  for (const [name, value] of Object.entries(raw)) {
    if (name === '__metadata__') metadata = parseMetadata(value, file);
    else entries.push(parseEntry(name, value, file));
  }
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  checkTiling(entries, dataSize, file);
  return { entries, metadata, dataStart: 0 };
}

function parseMetadata(value: unknown, file: string): Record<string, string> {
  if (!isRecord(value)) throw new SafetensorsError(file, '__metadata__ must be an object of strings');
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string') throw new SafetensorsError(file, `__metadata__.${k} must be a string`);
  }
  return value as Record<string, string>;
}

function parseEntry(name: string, value: unknown, file: string): SafetensorsEntry {
  const fail = (msg: string): never => {
    throw new SafetensorsError(file, msg, name);
  };
  if (!isRecord(value)) return fail('header entry must be an object');
  const { dtype, shape, data_offsets: offsets } = value;
  if (!isSafetensorsDtype(dtype)) return fail(`unsupported dtype ${JSON.stringify(dtype)}`);
  if (!Array.isArray(shape) || !shape.every(isCount)) return fail(`invalid shape ${JSON.stringify(shape)}`);
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount)) {
    return fail(`invalid data_offsets ${JSON.stringify(offsets)}`);
  }
  const [begin, end] = offsets as [number, number];
  if (end < begin) return fail(`data_offsets [${begin}, ${end}] end before they begin`);
  const need = storedByteLength({ dtype, shape: shape as number[] });
  if (end - begin !== need) {
    fail(`data_offsets [${begin}, ${end}] span ${end - begin} bytes but shape [${shape.join(', ')}] of ${dtype} needs ${need}`);
  }
  return { name, dtype, shape: shape as number[], begin, end };
}

function checkTiling(entries: readonly SafetensorsEntry[], dataSize: number, file: string): void {
  let expected = 0;
  for (const e of entries) {
    if (e.begin < expected) {
      throw new SafetensorsError(file, `data_offsets [${e.begin}, ${e.end}] overlap the previous tensor (ends at ${expected})`, e.name);
    }
    if (e.begin > expected) {
      throw new SafetensorsError(file, `data_offsets [${e.begin}, ${e.end}] leave a gap after offset ${expected}`, e.name);
    }
    if (e.end > dataSize) {
      throw new SafetensorsError(
        file,
        `data [${e.begin}, ${e.end}) extends past the end of the data section (${dataSize} bytes): the file is truncated`,
        e.name,
      );
    }
    expected = e.end;
  }
  if (expected !== dataSize) {
    throw new SafetensorsError(file, `${dataSize - expected} unexpected bytes after the last tensor (data ends at ${expected})`);
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

/**
 * Random access to one safetensors file. Tensors are read one at a time with positioned reads, so files
 * of any size work without mapping or reading them whole.
 */
export class SafetensorsReader {
  private readonly byName: Map<string, SafetensorsEntry>;

  private constructor(
    readonly path: string,
    private readonly handle: FileHandle,
    readonly header: SafetensorsHeader,
  ) {
    this.byName = new Map(header.entries.map((e) => [e.name, e]));
  }

  static async open(path: string): Promise<SafetensorsReader> {
    if (endianness() !== 'LE') throw new SafetensorsError(path, 'big-endian hosts are not supported');
    const size = (await stat(path)).size;
    const handle = await open(path, 'r');
    try {
      const header = await readHeader(handle, path, size);
      return new SafetensorsReader(path, handle, header);
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  /** Tensor names in data order. */
  get names(): string[] {
    return this.header.entries.map((e) => e.name);
  }

  get metadata(): Readonly<Record<string, string>> | null {
    return this.header.metadata;
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  entry(name: string): SafetensorsEntry {
    const e = this.byName.get(name);
    if (!e) throw new SafetensorsError(this.path, 'no such tensor in this file', name);
    return e;
  }

  async read(name: string, options: ReadTensorOptions = {}): Promise<StoredTensor> {
    const e = this.entry(name);
    const bytes = new Uint8Array(e.end - e.begin);
    await readFully(this.handle, bytes, this.header.dataStart + e.begin, this.path, name);
    const raw = viewAs(e.dtype, bytes.buffer, 0, bytes.byteLength / dtypeByteSize(e.dtype));
    if (options.keepRaw || (e.dtype !== 'F16' && e.dtype !== 'BF16')) return { dtype: e.dtype, shape: e.shape, data: raw };
    const data = e.dtype === 'F16' ? f16ToF32(raw as Uint16Array) : bf16ToF32(raw as Uint16Array);
    return { dtype: 'F32', shape: e.shape, data, storedDtype: e.dtype };
  }

  async readAll(options: ReadTensorOptions = {}): Promise<Map<string, StoredTensor>> {
    const out = new Map<string, StoredTensor>();
    for (const name of this.names) out.set(name, await this.read(name, options));
    return out;
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}

async function readHeader(handle: FileHandle, path: string, fileSize: number): Promise<SafetensorsHeader> {
  if (fileSize < 8) throw new SafetensorsError(path, `file is ${fileSize} bytes, too small for a safetensors header: truncated or not safetensors`);
  const lenBytes = new Uint8Array(8);
  await readFully(handle, lenBytes, 0, path);
  const len = new DataView(lenBytes.buffer).getBigUint64(0, true);
  if (len > BigInt(MAX_SAFETENSORS_HEADER_BYTES)) {
    throw new SafetensorsError(path, `header length ${len} exceeds the ${MAX_SAFETENSORS_HEADER_BYTES}-byte limit: corrupt or not safetensors`);
  }
  const n = Number(len);
  if (8 + n > fileSize) {
    throw new SafetensorsError(path, `header length ${n} runs past the end of the ${fileSize}-byte file: truncated`);
  }
  const headerBytes = new Uint8Array(n);
  await readFully(handle, headerBytes, 8, path);
  let json: string;
  try {
    json = new TextDecoder('utf-8', { fatal: true }).decode(headerBytes);
  } catch {
    throw new SafetensorsError(path, 'corrupt header: not valid UTF-8');
  }
  if (!json.startsWith('{')) throw new SafetensorsError(path, "corrupt header: does not start with '{'");
  const parsed = parseSafetensorsHeader(json, fileSize - 8 - n, path);
  return { ...parsed, dataStart: 8 + n };
}

/** Fills `into` from `position`, looping over short reads and chunking past Node's 2 GiB-per-call cap. */
async function readFully(handle: FileHandle, into: Uint8Array, position: number, path: string, tensor?: string): Promise<void> {
  let done = 0;
  while (done < into.byteLength) {
    const len = Math.min(IO_CHUNK_BYTES, into.byteLength - done);
    const { bytesRead } = await handle.read(into, done, len, position + done);
    if (bytesRead === 0) {
      throw new SafetensorsError(path, `unexpected end of file at byte ${position + done}: truncated`, tensor);
    }
    done += bytesRead;
  }
}

export interface WriteSafetensorsOptions {
  /** String-to-string `__metadata__` (Hugging Face writes {format: 'pt'}). */
  readonly metadata?: Readonly<Record<string, string>>;
}

/** Checks a tensor before it is written: a dtype the format knows, an array of the matching type and length. */
export function validateStoredTensor(name: string, t: StoredTensor, file: string): void {
  validateTensorHeader(name, t, file);
  validateTensorData(name, t, file);
}

/** The checks that need no data: a name, a dtype the format knows, a shape of counts. */
function validateTensorHeader(name: string, t: Pick<StoredTensor, 'dtype' | 'shape'>, file: string): void {
  if (name === '__metadata__' || name.length === 0) throw new SafetensorsError(file, 'reserved or empty tensor name', name);
  if (!isSafetensorsDtype(t.dtype)) throw new SafetensorsError(file, `unsupported dtype ${JSON.stringify(t.dtype)}`, name);
  if (!t.shape.every(isCount)) throw new SafetensorsError(file, `invalid shape ${JSON.stringify(t.shape)}`, name);
}

/** The checks on the values (`t.data` read once here: a tensor may compute its data when asked, see writeSafetensors). */
function validateTensorData(name: string, t: StoredTensor, file: string): void {
  if (!isArrayFor(t.dtype, t.data)) {
    const got = (t.data as object | null)?.constructor?.name ?? typeof t.data;
    throw new SafetensorsError(file, `${t.dtype} data must be a ${dtypeArrayName(t.dtype)}, got ${got}`, name);
  }
  const numel = shapeNumel(t.shape);
  if (t.data.length !== numel) {
    throw new SafetensorsError(file, `data has ${t.data.length} elements but shape [${t.shape.join(', ')}] needs ${numel}`, name);
  }
}

/**
 * Lays tensors out as the Rust writer does — by element size descending, then by name, so each tensor
 * stays aligned — and returns the space-padded header (a multiple of 8 bytes) with the order.
 */
export function layoutSafetensors(
  tensors: TensorMap,
  options: WriteSafetensorsOptions = {},
  file = '<memory>',
): { header: Uint8Array; order: [string, StoredTensor][]; dataSize: number } {
  const order = tensorEntries(tensors);
  for (const [name, t] of order) validateTensorHeader(name, t, file);
  order.sort(([an, a], [bn, b]) => dtypeByteSize(b.dtype) - dtypeByteSize(a.dtype) || (an < bn ? -1 : an > bn ? 1 : 0));
  const json: Record<string, unknown> = {};
  if (options.metadata) json.__metadata__ = { ...options.metadata };
  let offset = 0;
  for (const [name, t] of order) {
    const end = offset + storedByteLength(t);
    json[name] = { dtype: t.dtype, shape: [...t.shape], data_offsets: [offset, end] };
    offset = end;
  }
  let text = JSON.stringify(json);
  const pad = (8 - (Buffer.byteLength(text) % 8)) % 8;
  text += ' '.repeat(pad);
  return { header: new TextEncoder().encode(text), order, dataSize: offset };
}

/**
 * Writes a safetensors file atomically (temporary file + rename). Returns the file size in bytes. Each tensor's
 * `data` is read once, when it is written, and not kept: a tensor whose data is a getter (weights and optimizer
 * state read out of a compute backend, converted for saving) is materialised one at a time, so a save needs
 * the memory of its largest tensor, not of the whole file.
 */
export async function writeSafetensors(path: string, tensors: TensorMap, options: WriteSafetensorsOptions = {}): Promise<number> {
  const { header, order, dataSize } = layoutSafetensors(tensors, options, path);
  await writeFileAtomic(path, async (handle) => {
    const len = new Uint8Array(8);
    new DataView(len.buffer).setBigUint64(0, BigInt(header.byteLength), true);
    await writeFully(handle, len);
    await writeFully(handle, header);
    for (const [name, t] of order) {
      const data = t.data;
      validateTensorData(name, { dtype: t.dtype, shape: t.shape, data }, path);
      await writeFully(handle, bytesOf(data));
    }
  });
  return 8 + header.byteLength + dataSize;
}

async function writeFully(handle: FileHandle, bytes: Uint8Array): Promise<void> {
  let done = 0;
  while (done < bytes.byteLength) {
    const len = Math.min(IO_CHUNK_BYTES, bytes.byteLength - done);
    const { bytesWritten } = await handle.write(bytes, done, len);
    done += bytesWritten;
  }
}

/** Reads every tensor of one file. */
export async function readSafetensors(
  path: string,
  options: ReadTensorOptions = {},
): Promise<{ tensors: Map<string, StoredTensor>; metadata: Readonly<Record<string, string>> | null }> {
  const reader = await SafetensorsReader.open(path);
  try {
    return { tensors: await reader.readAll(options), metadata: reader.metadata };
  } finally {
    await reader.close();
  }
}

/** A tensor's size in the file, from its dtype and shape (without reading its data). */
export function storedByteLength(t: Pick<StoredTensor, 'dtype' | 'shape'>): number {
  return shapeNumel(t.shape) * dtypeByteSize(t.dtype);
}
