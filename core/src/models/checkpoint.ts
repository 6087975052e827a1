import { existsSync } from 'node:fs';
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeJsonAtomic } from '../util/atomic-write.js';
import type { StoredTensor } from './safetensors-dtype.js';
import {
  SafetensorsError,
  SafetensorsReader,
  storedByteLength,
  tensorEntries,
  writeSafetensors,
  type ReadTensorOptions,
  type TensorMap,
} from './safetensors.js';

export const SAFETENSORS_WEIGHTS_NAME = 'model.safetensors';
export const SAFETENSORS_INDEX_NAME = 'model.safetensors.index.json';
/** Files a checkpoint writer owns in a model directory; stale ones are removed after a save. */
const CHECKPOINT_FILE = /^model(-\d{5}-of-\d{5})?\.safetensors$/;

/** `model.safetensors.index.json`: which shard holds each tensor. */
export interface CheckpointIndex {
  readonly metadata: { readonly total_size: number; readonly [key: string]: unknown };
  readonly weight_map: Readonly<Record<string, string>>;
}

export interface LoadedCheckpoint {
  readonly tensors: Map<string, StoredTensor>;
  /** `__metadata__` of the (first) shard. */
  readonly metadata: Readonly<Record<string, string>> | null;
  /** Shard file names, relative to the directory. */
  readonly files: readonly string[];
}

export interface WriteCheckpointOptions {
  /** Start a new shard before one would exceed this size: bytes, or a string such as "5GB" / "500MiB". Default: no sharding. */
  readonly maxShardSize?: number | string;
  /** `__metadata__` of every shard; default {format: 'pt'}, which transformers checks when loading. */
  readonly metadata?: Readonly<Record<string, string>>;
}

const SIZE_UNITS: Record<string, number> = { B: 1, KB: 1e3, MB: 1e6, GB: 1e9, TB: 1e12, KIB: 2 ** 10, MIB: 2 ** 20, GIB: 2 ** 30, TIB: 2 ** 40 };

/** Parses "5GB", "500MiB", "1024" or a number of bytes (decimal and binary units, as transformers accepts). */
export function parseByteSize(size: number | string): number {
  if (typeof size === 'number') return checkSize(size, String(size));
  const m = /^\s*(\d+(?:\.\d+)?)\s*([KMGT]I?B|B)?\s*$/i.exec(size);
  if (!m) throw new Error(`invalid size ${JSON.stringify(size)}: expected bytes or a value like "5GB" / "500MiB"`);
  return checkSize(Math.floor(Number(m[1]) * SIZE_UNITS[(m[2] ?? 'B').toUpperCase()]!), size);
}

function checkSize(n: number, text: string): number {
  if (!Number.isFinite(n) || n <= 0) throw new Error(`invalid size ${JSON.stringify(text)}: must be positive`);
  return n;
}

/** Groups tensors, in their given order, into shards no larger than `maxBytes` (a bigger tensor gets a shard alone). */
export function planShards(entries: readonly [string, StoredTensor][], maxBytes: number): [string, StoredTensor][][] {
  const shards: [string, StoredTensor][][] = [];
  let current: [string, StoredTensor][] = [];
  let size = 0;
  for (const entry of entries) {
    const bytes = storedByteLength(entry[1]);
    if (current.length > 0 && size + bytes > maxBytes) {
      shards.push(current);
      current = [];
      size = 0;
    }
    current.push(entry);
    size += bytes;
  }
  if (current.length > 0 || shards.length === 0) shards.push(current);
  return shards;
}

export function shardFileName(index: number, count: number): string {
  const pad = (n: number) => String(n).padStart(5, '0');
  return `model-${pad(index + 1)}-of-${pad(count)}.safetensors`;
}

/**
 * Writes `model.safetensors`, or shards plus `model.safetensors.index.json` when `maxShardSize` splits them,
 * each file atomically, the index last; then deletes checkpoint files of an earlier save that are now stale.
 */
export async function writeCheckpoint(
  dir: string,
  tensors: TensorMap,
  options: WriteCheckpointOptions = {},
): Promise<{ files: string[]; index: CheckpointIndex | null }> {
  const metadata = options.metadata ?? { format: 'pt' };
  const entries = tensorEntries(tensors);
  const shards = options.maxShardSize === undefined ? [entries] : planShards(entries, parseByteSize(options.maxShardSize));
  if (shards.length === 1) {
    await writeSafetensors(join(dir, SAFETENSORS_WEIGHTS_NAME), new Map(shards[0]), { metadata });
    await removeStale(dir, [SAFETENSORS_WEIGHTS_NAME], true);
    return { files: [SAFETENSORS_WEIGHTS_NAME], index: null };
  }
  const files: string[] = [];
  const weightMap: Record<string, string> = {};
  let total = 0;
  for (const [i, shard] of shards.entries()) {
    const file = shardFileName(i, shards.length);
    await writeSafetensors(join(dir, file), new Map(shard), { metadata });
    files.push(file);
    for (const [name, t] of shard) {
      weightMap[name] = file;
      total += storedByteLength(t);
    }
  }
  const sorted = Object.fromEntries(Object.keys(weightMap).sort().map((k) => [k, weightMap[k]!]));
  const index: CheckpointIndex = { metadata: { total_size: total }, weight_map: sorted };
  await writeJsonAtomic(join(dir, SAFETENSORS_INDEX_NAME), index);
  await removeStale(dir, files, false);
  return { files, index };
}

async function removeStale(dir: string, keep: readonly string[], removeIndex: boolean): Promise<void> {
  for (const f of await readdir(dir)) {
    const stale = (CHECKPOINT_FILE.test(f) && !keep.includes(f)) || (removeIndex && f === SAFETENSORS_INDEX_NAME);
    if (stale) await rm(join(dir, f), { force: true });
  }
}

/** Reads and validates `model.safetensors.index.json`. */
export async function readCheckpointIndex(path: string): Promise<CheckpointIndex> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw new Error(`${path}: cannot read the checkpoint index: ${(err as Error).message}`);
  }
  const map = (raw as { weight_map?: unknown } | null)?.weight_map;
  if (typeof map !== 'object' || map === null || Array.isArray(map)) throw new Error(`${path}: missing or invalid "weight_map"`);
  for (const [name, file] of Object.entries(map)) {
    if (typeof file !== 'string' || !/^[^/\\]+\.safetensors$/.test(file) || file.startsWith('..')) {
      throw new Error(`${path}: weight_map["${name}"] must name a .safetensors file in the same directory, got ${JSON.stringify(file)}`);
    }
  }
  const metadata = (raw as { metadata?: { total_size?: number } }).metadata ?? {};
  return { metadata: { ...metadata, total_size: metadata.total_size ?? 0 }, weight_map: map as Record<string, string> };
}

/**
 * A checkpoint directory open for reading tensor by tensor (sharded or not): only the headers are read when it
 * opens, so a caller can convert each tensor as it comes (e.g. quantize it) without the whole checkpoint in memory.
 */
export class CheckpointReader {
  private constructor(
    private readonly readers: readonly SafetensorsReader[],
    private readonly byName: ReadonlyMap<string, SafetensorsReader>,
    readonly files: readonly string[],
  ) {}

  static async open(dir: string): Promise<CheckpointReader> {
    const indexPath = join(dir, SAFETENSORS_INDEX_NAME);
    const single = join(dir, SAFETENSORS_WEIGHTS_NAME);
    if (!existsSync(indexPath) && !existsSync(single)) throw new Error(`${dir}: no ${SAFETENSORS_WEIGHTS_NAME} or ${SAFETENSORS_INDEX_NAME} found`);
    const shards = existsSync(indexPath) ? shardNames(await readCheckpointIndex(indexPath), dir, indexPath) : new Map([[SAFETENSORS_WEIGHTS_NAME, undefined]]);
    const readers: SafetensorsReader[] = [];
    const byName = new Map<string, SafetensorsReader>();
    try {
      for (const [file, names] of shards) {
        const reader = await SafetensorsReader.open(join(dir, file));
        readers.push(reader);
        for (const name of names ?? reader.names) {
          if (!reader.has(name)) throw new SafetensorsError(reader.path, `listed in ${indexPath} but missing from the shard`, name);
          byName.set(name, reader);
        }
      }
    } catch (error) {
      for (const reader of readers) await reader.close();
      throw error;
    }
    return new CheckpointReader(readers, byName, [...shards.keys()]);
  }

  /** Tensor names (shard by shard, in data order). */
  get names(): string[] {
    return [...this.byName.keys()];
  }

  /** `__metadata__` of the (first) shard. */
  get metadata(): Readonly<Record<string, string>> | null {
    return this.readers[0]?.metadata ?? null;
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  async read(name: string, options: ReadTensorOptions = {}): Promise<StoredTensor> {
    const reader = this.byName.get(name);
    if (!reader) throw new Error(`checkpoint: no tensor '${name}'`);
    return reader.read(name, options);
  }

  async close(): Promise<void> {
    for (const reader of this.readers) await reader.close();
  }
}

/** The index's shards (sorted) and the names each holds; a shard the index names must exist. */
function shardNames(index: CheckpointIndex, dir: string, indexPath: string): Map<string, string[]> {
  const byFile = new Map<string, string[]>();
  for (const [name, file] of Object.entries(index.weight_map)) byFile.set(file, [...(byFile.get(file) ?? []), name]);
  const sorted = new Map([...byFile.entries()].sort(([a], [b]) => (a < b ? -1 : 1)));
  for (const file of sorted.keys()) if (!existsSync(join(dir, file))) throw new Error(`${indexPath}: names shard ${file}, which does not exist`);
  return sorted;
}

/** Loads every tensor of a checkpoint directory, sharded (index present) or not. */
export async function readCheckpoint(dir: string, options: ReadTensorOptions = {}): Promise<LoadedCheckpoint> {
  const reader = await CheckpointReader.open(dir);
  try {
    const tensors = new Map<string, StoredTensor>();
    for (const name of reader.names) tensors.set(name, await reader.read(name, options));
    return { tensors, metadata: reader.metadata, files: reader.files };
  } finally {
    await reader.close();
  }
}
