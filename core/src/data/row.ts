/** One raw row as a loader yields it: column name → JSON-compatible value (parquet INT64 already converted). */
export type Row = Record<string, unknown>;

/** Where a row came from, so every error about it can name the file and line or row. */
export interface RowOrigin {
  /** The file as shown to users: a path, or `<repo>/<path>` for Hub files. */
  file: string;
  /** 1-based line where the row starts (jsonl, json, csv). */
  line?: number;
  /** 1-based position of the row within its file (parquet has no lines). */
  row: number;
}

/** A row together with its origin. */
export interface SourceRow {
  values: Row;
  origin: RowOrigin;
}

/** `data.jsonl:17` for text formats, `data.parquet row 17` for parquet. */
export function formatOrigin(origin: RowOrigin): string {
  return origin.line != null ? `${origin.file}:${origin.line}` : `${origin.file} row ${origin.row}`;
}

/** Column names of a row, in their order, for messages. */
export function columnList(row: Row): string {
  const names = Object.keys(row);
  return names.length > 0 ? names.join(', ') : '(none)';
}
