/** Variable-length int32 rows packed in one array: row i is values[offsets[i] .. offsets[i+1]). */
export interface RaggedInt32 {
  values: Int32Array;
  offsets: Uint32Array;
}

export function raggedRow(column: RaggedInt32, row: number): Int32Array {
  return column.values.subarray(column.offsets[row]!, column.offsets[row + 1]!);
}

export function raggedLength(column: RaggedInt32, row: number): number {
  return column.offsets[row + 1]! - column.offsets[row]!;
}

/** Packs rows in memory (small tables: micro-batches, tests); throws past 2^32 values. Datasets live in cache entries, which have no such limit. */
export function packRagged(rows: ReadonlyArray<ArrayLike<number>>): RaggedInt32 {
  const offsets = new Uint32Array(rows.length + 1);
  let total = 0;
  rows.forEach((row, i) => {
    total += row.length;
    if (total > 0xffffffff) throw new Error('too many tokens to pack in memory (over 2^32)');
    offsets[i + 1] = total;
  });
  const values = new Int32Array(total);
  rows.forEach((row, i) => values.set(row, offsets[i]!));
  return { values, offsets };
}
