import type { SourceRow } from '../row.js';
import { JsonRowScanner } from './json-row-scanner.js';
import { parseRowJson, tolerateBadRow, type BadRowHandler } from './parse-row-json.js';
import { openTextStream, textChunks } from './text-stream.js';

/** A JSON file holding an array of row objects, or an object holding one such array; streamed. */
export async function* readJson(path: string, display: string, gzip: boolean, onBadRow?: BadRowHandler): AsyncGenerator<SourceRow> {
  const scanner = new JsonRowScanner(display);
  let row = 0;
  for await (const chunk of textChunks(openTextStream(path, gzip))) {
    for (const { text, line } of scanner.feed(chunk)) {
      const origin = { file: display, line, row: row + 1 };
      const values = tolerateBadRow(() => parseRowJson(text, origin), onBadRow);
      if (values === undefined) continue;
      row += 1;
      yield { values, origin };
    }
  }
  scanner.end();
}
