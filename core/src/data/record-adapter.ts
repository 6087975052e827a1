import type { CanonicalRecord } from './canonical-record.js';
import type { Row } from './row.js';

/** An adapted record, or the reason the row does not fit (counted and reported, never silently dropped). */
export type AdaptResult = { record: CanonicalRecord; skip?: undefined } | { record?: undefined; skip: string };

/**
 * The contract of a `@SchemaAdapter(id)` plugin: maps one dataset row (after column mapping) to the
 * canonical record. When a dataset names no adapter, the pipeline picks the one whose required columns the
 * rows have, preferring the adapter that requires the most of them (so prompt+chosen+rejected picks
 * `ultrafeedback` over `hh-rlhf`'s chosen+rejected).
 */
export interface RecordAdapter {
  readonly requiredColumns: readonly string[];
  /** Columns it reads when present (documentation and error messages). */
  readonly optionalColumns?: readonly string[];
  adapt(row: Row): AdaptResult;
}

export function adapted(record: CanonicalRecord): AdaptResult {
  return { record };
}

export function skipRow(reason: string): AdaptResult {
  return { skip: reason };
}

/** The row's columns other than `used`, for `CanonicalRecord.extra`. */
export function passthroughColumns(row: Row, used: readonly string[]): Row {
  const extra: Row = {};
  for (const [key, value] of Object.entries(row)) if (!used.includes(key)) extra[key] = value;
  return extra;
}

/** The value as text when it is a non-empty string (or a number, which CSV and parquet give for answers). */
export function textField(row: Row, column: string): string | undefined {
  const value = row[column];
  if (typeof value === 'string') return value.trim() === '' ? undefined : value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

/** "column x is missing" / "column x is a number, expected text" — the reason a field did not fit. */
export function describeBadField(row: Row, column: string, expected: string): string {
  if (!(column in row) || row[column] === undefined || row[column] === null) return `column "${column}" is missing or null`;
  const value = row[column];
  if (typeof value === 'string' && value.trim() === '') return `column "${column}" is empty`;
  const kind = Array.isArray(value) ? 'a list' : typeof value === 'object' ? 'an object' : `a ${typeof value}`;
  return `column "${column}" is ${kind}, expected ${expected}`;
}
