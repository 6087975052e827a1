import { DataError } from '../data-error.js';
import type { Row, SourceRow } from '../row.js';
import { CsvRecordParser, type CsvRecord } from './csv-record-parser.js';
import { tolerateBadRow, type BadRowHandler } from './parse-row-json.js';
import { openTextStream, textChunks } from './text-stream.js';

/**
 * CSV (or TSV) with a header row; every value is a string (an empty field is ""). Blank lines are skipped.
 * A record with a different number of fields than the header is an error naming its line.
 */
export async function* readCsv(path: string, display: string, gzip: boolean, delimiter = ',', onBadRow?: BadRowHandler): AsyncGenerator<SourceRow> {
  const parser = new CsvRecordParser(display, delimiter);
  let header: string[] | undefined;
  let row = 0;
  const toRow = (record: CsvRecord): SourceRow | undefined => {
    if (isBlank(record)) return undefined;
    if (!header) {
      header = checkHeader(record, display);
      return undefined;
    }
    const origin = { file: display, line: record.line, row: row + 1 };
    const values = tolerateBadRow(() => zipRow(header!, record, origin.line, display), onBadRow);
    if (values === undefined) return undefined;
    row += 1;
    return { values, origin };
  };
  for await (const chunk of textChunks(openTextStream(path, gzip))) {
    for (const record of parser.feed(chunk)) {
      const source = toRow(record);
      if (source) yield source;
    }
  }
  const last = parser.end();
  const source = last && toRow(last);
  if (source) yield source;
  if (!header) throw DataError.inFile(display, 'the file is empty; expected a header row');
}

function isBlank(record: CsvRecord): boolean {
  return record.fields.length === 1 && record.fields[0] === '';
}

function checkHeader(record: CsvRecord, file: string): string[] {
  const names = record.fields.map((name) => name.trim());
  const origin = { file, line: record.line, row: 0 };
  names.forEach((name, index) => {
    if (name === '') throw new DataError(`header column ${index + 1} has no name`, origin);
    if (names.indexOf(name) !== index) throw new DataError(`header names column "${name}" twice`, origin);
  });
  return names;
}

function zipRow(header: string[], record: CsvRecord, line: number, file: string): Row {
  if (record.fields.length !== header.length) {
    throw new DataError(`${record.fields.length} fields, but the header has ${header.length} (${header.join(', ')})`, { file, line, row: 0 });
  }
  const row: Row = {};
  header.forEach((name, index) => (row[name] = record.fields[index]));
  return row;
}
