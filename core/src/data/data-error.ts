import { formatOrigin, type RowOrigin } from './row.js';

/**
 * A problem with the data itself (malformed file, missing column, nothing adaptable). The user fixes it by
 * changing the data or the dataset config, so the CLI treats it as a usage error (exit code 2).
 */
export class DataError extends Error {
  override readonly name = 'DataError';
  /** Read by the CLI's exit-code mapping: data problems are the user's to fix. */
  readonly exitCode = 2;

  constructor(
    message: string,
    readonly origin?: RowOrigin,
  ) {
    super(origin ? `${formatOrigin(origin)}: ${message}` : message);
  }

  /** An error about a whole file (no particular row): `data.csv: message`. */
  static inFile(file: string, message: string): DataError {
    return new DataError(`${file}: ${message}`);
  }
}
