import { DataError } from '../data-error.js';
import type { Row, RowOrigin } from '../row.js';

/** Receives a malformed row's error instead of the reader throwing it (`on_bad_rows: skip`). */
export type BadRowHandler = (error: DataError) => void;

/**
 * A row parsed by `parse`, or undefined when it is malformed and `onBadRow` takes the error; without a
 * handler the error stops the read. Only data errors of the row are tolerated, never I/O errors.
 */
export function tolerateBadRow<T>(parse: () => T, onBadRow: BadRowHandler | undefined): T | undefined {
  if (!onBadRow) return parse();
  try {
    return parse();
  } catch (error) {
    if (!(error instanceof DataError)) throw error;
    onBadRow(error);
    return undefined;
  }
}

/** Parses one row's JSON text; the row must be an object. */
export function parseRowJson(text: string, origin: RowOrigin): Row {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new DataError(`invalid JSON: ${(error as Error).message}`, origin);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new DataError(`expected a JSON object (one row), found ${describeJson(value)}`, origin);
  }
  return value as Row;
}

function describeJson(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}
