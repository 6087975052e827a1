import { createHash } from 'node:crypto';
import type { MetricTable } from '@aligntune/core/training';
import { toExtendedJson } from './extended-json.js';

export interface TableFile {
  /** Run-relative path: `media/table/<tag>_<step>_<sha256 prefix>.table.json`. */
  readonly path: string;
  readonly bytes: Buffer;
  /** What the history row holds under the table's tag. */
  readonly value: Readonly<Record<string, unknown>>;
}

/**
 * A table as W&B's clients log one to a run (`wandb.Table` in `run.log`): the rows go to a run file
 * `{"columns": [...], "data": [[...], ...]}` under media/table/, uploaded like any run file, and the history
 * row references it as `{"_type": "table-file", path, sha256, size, ncols, nrows}`. (The Python client also
 * copies the table into an artifact; this logger does not.)
 */
export function tableFile(tag: string, step: number, table: MetricTable): TableFile {
  const bytes = Buffer.from(toExtendedJson({ columns: table.columns, data: table.rows }));
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const path = `media/table/${uploadSafe(tag)}_${step}_${sha256.slice(0, 20)}.table.json`;
  const value = { _type: 'table-file', path, sha256, size: bytes.length, ncols: table.columns.length, nrows: table.rows.length, log_mode: 'IMMUTABLE' };
  return { path, bytes, value };
}

/** A tag's '/' become directories (as in W&B); nothing else may leave media/table/. */
function uploadSafe(tag: string): string {
  return tag
    .split('/')
    .map((part) => (part === '' || part === '.' || part === '..' ? '_' : part.replace(/[^A-Za-z0-9._-]/g, '_')))
    .join('/');
}
