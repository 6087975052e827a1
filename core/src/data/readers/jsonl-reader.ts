import { createInterface } from 'node:readline';
import { DataError } from '../data-error.js';
import type { SourceRow } from '../row.js';
import { parseRowJson, tolerateBadRow, type BadRowHandler } from './parse-row-json.js';
import { openTextStream } from './text-stream.js';

/** JSON Lines: one object per line; blank lines are skipped. Errors name the file and line. */
export async function* readJsonl(path: string, display: string, gzip: boolean, onBadRow?: BadRowHandler): AsyncGenerator<SourceRow> {
  const lines = createInterface({ input: openTextStream(path, gzip), crlfDelay: Infinity });
  let line = 0;
  let row = 0;
  try {
    for await (const text of lines) {
      line += 1;
      const body = line === 1 && text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
      if (body.trim() === '') continue;
      const origin = { file: display, line, row: row + 1 };
      const values = tolerateBadRow(() => parseRowJson(body, origin), onBadRow);
      if (values === undefined) continue;
      row += 1;
      yield { values, origin };
    }
  } catch (error) {
    throw error instanceof DataError ? error : DataError.inFile(display, (error as Error).message);
  } finally {
    lines.close();
  }
}
