import { createHash } from 'node:crypto';
import type { Prompt, RecordKind } from './canonical-record.js';
import { raggedLength, raggedRow, type RaggedInt32 } from './ragged.js';
import type { Row } from './row.js';

/**
 * `prompt_assistant_mask` is 1 on the prompt's tokens that belong to earlier assistant turns of a chat prompt
 * (one entry per prompt token; absent when no prompt has any), so SFT can train on every assistant turn.
 */
export const TOKEN_COLUMNS = ['prompt', 'completion', 'chosen', 'rejected', 'prompt_assistant_mask'] as const;
export type TokenColumn = (typeof TOKEN_COLUMNS)[number];

/** What a tokenized row keeps besides tokens: enough for rewards, metrics and error messages. */
export interface TokenizedRowInfo {
  kind: RecordKind;
  /** The prompt as the model saw it before templating (task formatting applied): what rewards receive. */
  prompt: Prompt;
  reference?: string;
  extra: Row;
  task_type?: string;
  /** `data.jsonl:17`. */
  origin?: string;
  /** The prompt or a completion lost tokens to max_prompt_length / max_length. */
  truncated?: boolean;
}

/**
 * Where a table's rows live: packed arrays in memory, a cache file read on demand, or a selection of rows of
 * other tables. Every access is by row index; no store needs a JS object per row.
 */
export interface RowStore {
  readonly size: number;
  tokens(column: TokenColumn, row: number): Int32Array;
  length(column: TokenColumn, row: number): number;
  info(row: number): TokenizedRowInfo;
  kind(row: number): RecordKind;
  hasColumn(column: TokenColumn): boolean;
  /** The kinds present (a file-backed table knows them from its header, without reading its rows). */
  kinds(): ReadonlySet<RecordKind>;
  /** Identifies the content (tokens and rows), for caches derived from it. */
  contentId(): string;
}

/**
 * One table of tokenized rows: token columns (a row without a field has length 0) and a small JSON record per
 * row, behind a RowStore. This is what the cache stores, what selections (mixtures, eval splits) view without
 * copying, and what collation reads.
 */
export class TokenizedDataset {
  private readonly store: RowStore;

  /** Packed columns and row infos in memory, or any other store. */
  constructor(columns: Partial<Record<TokenColumn, RaggedInt32>> | RowStore, rows: readonly TokenizedRowInfo[] = []) {
    this.store = isRowStore(columns) ? columns : new PackedRows(columns, rows);
  }

  /** Rows of several tables, by index: position i is row `row[i]` of `tables[table[i]]`. Nothing is copied. */
  static select(tables: readonly TokenizedDataset[], table: Uint16Array, row: Uint32Array): TokenizedDataset {
    return new TokenizedDataset(new SelectedRows(tables, table, row));
  }

  /** These rows, in this order (indices into this table); a view, nothing is copied. */
  select(rows: Uint32Array): TokenizedDataset {
    if (this.store instanceof SelectedRows) return new TokenizedDataset(this.store.select(rows));
    return TokenizedDataset.select([this], new Uint16Array(rows.length), rows);
  }

  get size(): number {
    return this.store.size;
  }

  tokens(column: TokenColumn, row: number): Int32Array {
    return this.store.tokens(column, row);
  }

  length(column: TokenColumn, row: number): number {
    return this.store.length(column, row);
  }

  /** The row's info (parsed on demand for file-backed tables: keep it only as long as needed). */
  row(row: number): TokenizedRowInfo {
    return this.store.info(row);
  }

  kind(row: number): RecordKind {
    return this.store.kind(row);
  }

  hasColumn(column: TokenColumn): boolean {
    return this.store.hasColumn(column);
  }

  kinds(): ReadonlySet<RecordKind> {
    return this.store.kinds();
  }

  contentId(): string {
    return this.store.contentId();
  }

  /**
   * Per-sample columns for a reward batch (`RewardBatch.columns`): `reference` and every passthrough column
   * of the rows, null where a row lacks it.
   */
  rewardColumns(indices: readonly number[]): Record<string, unknown[]> {
    const rows = indices.map((i) => this.row(i));
    const names = new Set(rows.flatMap((row) => Object.keys(row.extra)));
    const columns: Record<string, unknown[]> = { reference: rows.map((row) => row.reference ?? null) };
    for (const name of names) if (name !== 'reference') columns[name] = rows.map((row) => row.extra[name] ?? null);
    return columns;
  }

  /** Tokens of the longest sequence the row trains on (prompt + its longest completion). */
  sequenceLength(row: number): number {
    const completion = Math.max(this.length('completion', row), this.length('chosen', row), this.length('rejected', row));
    return this.length('prompt', row) + completion;
  }
}

function isRowStore(value: object): value is RowStore {
  return typeof (value as RowStore).tokens === 'function';
}

/** Packed Int32 columns and row infos in memory: what tokenization of a small table and the trainers' micro-batches build. */
export class PackedRows implements RowStore {
  private id: string | undefined;

  constructor(
    readonly columns: Partial<Record<TokenColumn, RaggedInt32>>,
    readonly rows: readonly TokenizedRowInfo[],
  ) {}

  get size(): number {
    return this.rows.length;
  }

  tokens(column: TokenColumn, row: number): Int32Array {
    const data = this.columns[column];
    return data ? raggedRow(data, row) : new Int32Array(0);
  }

  length(column: TokenColumn, row: number): number {
    const data = this.columns[column];
    return data ? raggedLength(data, row) : 0;
  }

  info(row: number): TokenizedRowInfo {
    return this.rows[row]!;
  }

  kind(row: number): RecordKind {
    return this.rows[row]!.kind;
  }

  hasColumn(column: TokenColumn): boolean {
    return this.columns[column] !== undefined;
  }

  kinds(): ReadonlySet<RecordKind> {
    return new Set(this.rows.map((r) => r.kind));
  }

  contentId(): string {
    if (this.id) return this.id;
    const hash = createHash('sha256').update('packed\n');
    for (const column of TOKEN_COLUMNS) {
      const data = this.columns[column];
      if (!data) continue;
      hash.update(column);
      hash.update(new Uint8Array(data.values.buffer, data.values.byteOffset, data.values.byteLength));
      hash.update(new Uint8Array(data.offsets.buffer, data.offsets.byteOffset, data.offsets.byteLength));
    }
    for (const row of this.rows) hash.update(JSON.stringify(row));
    return (this.id = hash.digest('hex'));
  }
}

/** Rows of other tables by index (two typed arrays, 6 bytes a row): mixtures, kind filters, eval splits. */
class SelectedRows implements RowStore {
  constructor(
    private readonly tables: readonly TokenizedDataset[],
    private readonly table: Uint16Array,
    private readonly rows: Uint32Array,
  ) {}

  get size(): number {
    return this.rows.length;
  }

  select(indices: Uint32Array): SelectedRows {
    const table = new Uint16Array(indices.length);
    const rows = new Uint32Array(indices.length);
    for (let i = 0; i < indices.length; i++) {
      table[i] = this.table[indices[i]!]!;
      rows[i] = this.rows[indices[i]!]!;
    }
    return new SelectedRows(this.tables, table, rows);
  }

  tokens(column: TokenColumn, row: number): Int32Array {
    return this.tables[this.table[row]!]!.tokens(column, this.rows[row]!);
  }

  length(column: TokenColumn, row: number): number {
    return this.tables[this.table[row]!]!.length(column, this.rows[row]!);
  }

  info(row: number): TokenizedRowInfo {
    return this.tables[this.table[row]!]!.row(this.rows[row]!);
  }

  kind(row: number): RecordKind {
    return this.tables[this.table[row]!]!.kind(this.rows[row]!);
  }

  hasColumn(column: TokenColumn): boolean {
    return this.tables.some((t) => t.hasColumn(column));
  }

  /** The kinds of the tables selected from (a superset when the selection leaves some out). */
  kinds(): ReadonlySet<RecordKind> {
    return new Set(this.tables.flatMap((t) => [...t.kinds()]));
  }

  contentId(): string {
    const hash = createHash('sha256').update('selection\n');
    for (const table of this.tables) hash.update(`${table.contentId()}\n`);
    hash.update(new Uint8Array(this.table.buffer, this.table.byteOffset, this.table.byteLength));
    hash.update(new Uint8Array(this.rows.buffer, this.rows.byteOffset, this.rows.byteLength));
    return hash.digest('hex');
  }
}
