import type { SourceRow } from '../row.js';
import { JsonRowScanner } from './json-row-scanner.js';
import { parseRowJson } from './parse-row-json.js';
import { openTextStream, textChunks } from './text-stream.js';

/** A JSON file holding an array of row objects, or an object holding one such array; streamed. */
export async function* readJson(path: string, display: string, gzip: boolean): AsyncGenerator<SourceRow> {
  const scanner = new JsonRowScanner(display);
  let row = 0;
  for await (const chunk of textChunks(openTextStream(path, gzip))) {
    for (const { text, line } of scanner.feed(chunk)) {
      const origin = { file: display, line, row: ++row };
      yield { values: parseRowJson(text, origin), origin };
    }
  }
  scanner.end();
}
