import { DataError } from './data-error.js';
import { columnList, type Row, type RowOrigin } from './row.js';

/**
 * Applies `column_mapping` ({new: source}): each new column takes the source column's value and the source
 * columns are dropped (a rename; one source may feed several new columns). A source column missing from a
 * row is an error naming the row, since a typo would otherwise make every row unadaptable.
 */
export function applyColumnMapping(row: Row, mapping: Readonly<Record<string, string>>, origin: RowOrigin): Row {
  const entries = Object.entries(mapping);
  if (entries.length === 0) return row;
  const mapped: Row = { ...row };
  for (const [, source] of entries) delete mapped[source];
  for (const [target, source] of entries) {
    if (!(source in row)) {
      throw new DataError(`column_mapping ${target}=${source}: no column "${source}" (columns: ${columnList(row)})`, origin);
    }
    mapped[target] = row[source];
  }
  return mapped;
}
