import { DataError, type TokenizedDataset } from '@aligntune/core/data';

/**
 * The table's optional `margin` column (TRL RewardTrainer), read from the rows' passthrough columns; undefined
 * when no row has one. In a table that has the column, rows without a value (e.g. from a second dataset
 * without it) get margin 0, the plain loss; a value that is not a finite number is an error naming the row.
 */
export function marginColumn(table: TokenizedDataset): Float32Array | undefined {
  const present = (value: unknown) => value !== undefined && value !== null;
  if (!table.rows.some((row) => present(row.extra.margin))) return undefined;
  return Float32Array.from(table.rows, (row, i) => {
    const value = row.extra.margin;
    if (!present(value)) return 0;
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new DataError(`${row.origin ?? `row ${i + 1}`}: column "margin" must be a finite number, got ${JSON.stringify(value)}`);
    }
    return value;
  });
}
