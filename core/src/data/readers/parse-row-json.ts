import { DataError } from '../data-error.js';
import type { Row, RowOrigin } from '../row.js';

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
