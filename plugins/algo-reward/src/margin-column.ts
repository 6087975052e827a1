import { DataError, type TokenizedDataset } from '@aligntune/core/data';

/**
 * The table's optional `margin` column (TRL RewardTrainer), read from the rows' passthrough columns; undefined
 * when no row has one. In a table that has the column, rows without a value (e.g. from a second dataset
 * without it) get margin 0, the plain loss; a value that is not a finite number is an error naming the row.
 */
export function marginColumn(table: TokenizedDataset): Float32Array | undefined {
  const present = (value: unknown) => value !== undefined && value !== null;
  const margins = new Float32Array(table.size);
  let any = false;
  for (let i = 0; i < table.size; i++) {
    const row = table.row(i);
    const value = row.extra.margin;
    if (!present(value)) continue;
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new DataError(`${row.origin ?? `row ${i + 1}`}: column "margin" must be a finite number, got ${JSON.stringify(value)}`);
    }
    margins[i] = value;
    any = true;
  }
  return any ? margins : undefined;
}
