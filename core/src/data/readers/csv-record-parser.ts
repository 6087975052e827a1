import { DataError } from '../data-error.js';

/** One CSV record and the line it starts on. */
export interface CsvRecord {
  fields: string[];
  line: number;
}

/**
 * An RFC 4180 record parser fed chunk by chunk: fields separated by the delimiter, records by CRLF or LF,
 * quoted fields may hold delimiters, newlines and doubled quotes (""). A quote inside an unquoted field is
 * kept as text (common in the wild); text after a closing quote, or a quote left open at the end of the
 * file, is an error naming the line.
 */
export class CsvRecordParser {
  private fields: string[] = [];
  private field: string[] = [];
  private quoted = false;
  /** Inside a quoted field. */
  private inQuotes = false;
  /** Just saw a quote inside a quoted field: either the closing quote or the first of "". */
  private quotePending = false;
  private line = 1;
  private recordLine = 1;
  private fieldLine = 1;
  private pendingCr = false;

  constructor(
    private readonly file: string,
    private readonly delimiter: string,
  ) {}

  *feed(chunk: string): Generator<CsvRecord> {
    for (const c of chunk) {
      const record = this.char(c);
      if (record) yield record;
    }
  }

  /** The last record when the file does not end in a newline. */
  end(): CsvRecord | undefined {
    if (this.inQuotes && !this.quotePending) {
      throw new DataError('quoted field is never closed (missing ")', { file: this.file, line: this.fieldLine, row: 0 });
    }
    if (this.pendingCr) this.field.push('\r');
    if (this.fields.length === 0 && this.field.length === 0 && !this.quoted) return undefined;
    return this.endRecord();
  }

  private char(c: string): CsvRecord | undefined {
    if (this.quotePending) {
      this.quotePending = false;
      if (c === '"') {
        this.field.push('"');
        return undefined;
      }
      this.inQuotes = false;
      if (c !== this.delimiter && c !== '\n' && c !== '\r') {
        throw new DataError(`unexpected '${c}' after a closing quote`, { file: this.file, line: this.line, row: 0 });
      }
    }
    if (this.inQuotes) return this.quotedChar(c);
    return this.plainChar(c);
  }

  private quotedChar(c: string): undefined {
    if (c === '"') this.quotePending = true;
    else {
      if (c === '\n') this.line += 1;
      this.field.push(c);
    }
    return undefined;
  }

  private plainChar(c: string): CsvRecord | undefined {
    const wasCr = this.pendingCr;
    this.pendingCr = false;
    if (c === '\n') {
      const record = this.endRecord();
      this.line += 1;
      this.recordLine = this.line;
      this.fieldLine = this.line;
      return record;
    }
    if (wasCr) this.field.push('\r');
    if (c === '\r') this.pendingCr = true;
    else if (c === this.delimiter) this.endField();
    else if (c === '"' && this.field.length === 0 && !this.quoted) {
      this.inQuotes = true;
      this.quoted = true;
      this.fieldLine = this.line;
    } else this.field.push(c);
    return undefined;
  }

  private endField(): void {
    this.fields.push(this.field.join(''));
    this.field = [];
    this.quoted = false;
  }

  private endRecord(): CsvRecord {
    this.endField();
    const record = { fields: this.fields, line: this.recordLine };
    this.fields = [];
    return record;
  }
}
