import { DataError } from '../data-error.js';

/** The text of one row element and the line it starts on. */
export interface ElementText {
  text: string;
  line: number;
}

const WHITESPACE = new Set([' ', '\t', '\n', '\r']);

/**
 * Splits a JSON document into the texts of its row objects as chunks arrive, so a file larger than memory
 * streams: the rows are the elements of the top-level array, or of the one array that a top-level object
 * holds (`{"data": [...]}`). It tracks only structure (brackets, strings); each element is then parsed on
 * its own, which gives errors the element's line.
 */
export class JsonRowScanner {
  private readonly stack: string[] = [];
  private inString = false;
  private escape = false;
  private line = 1;
  private topLevel: '[' | '{' | undefined;
  private closed = false;
  /** Stack depth inside the row array while it is open; -1 otherwise. */
  private rowDepth = -1;
  private readonly arrayKeys: string[] = [];
  private key: string[] | undefined;
  private lastKey = '';
  private pieces: string[] = [];
  private elementStart = -1;
  private elementLine = 0;

  constructor(private readonly file: string) {}

  *feed(chunk: string): Generator<ElementText> {
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i]!;
      if (c === '\n') this.line += 1;
      if (this.inString) {
        this.stringChar(c);
        continue;
      }
      if (WHITESPACE.has(c)) continue;
      if (this.closed) throw this.error(`unexpected data after the end of the JSON value`);
      if (this.stack.length === this.rowDepth && this.elementStart < 0 && c !== ',' && c !== ']') {
        this.elementStart = i;
        this.elementLine = this.line;
      }
      const element = this.structural(c, chunk, i);
      if (element) yield element;
    }
    if (this.elementStart >= 0) {
      this.pieces.push(chunk.slice(this.elementStart));
      this.elementStart = 0;
    }
  }

  /** Checks the document is complete and held exactly one row array. */
  end(): void {
    if (this.topLevel === undefined) throw DataError.inFile(this.file, 'the file is empty; expected a JSON array of rows');
    if (this.stack.length > 0 || this.inString) {
      throw DataError.inFile(this.file, `unexpected end of file (unclosed ${this.inString ? 'string' : `'${this.stack.at(-1)}'`})`);
    }
    if (this.arrayKeys.length === 0) {
      throw DataError.inFile(this.file, 'the top-level object holds no array of rows; expected [ {...}, ... ] or {"data": [ {...}, ... ]}');
    }
    if (this.arrayKeys.length > 1) {
      const keys = this.arrayKeys.map((k) => `"${k}"`).join(', ');
      throw DataError.inFile(this.file, `the top-level object holds several arrays (${keys}); expected exactly one array of rows`);
    }
  }

  private stringChar(c: string): void {
    if (this.escape) this.escape = false;
    else if (c === '\\') this.escape = true;
    else if (c === '"') {
      this.inString = false;
      if (this.key) this.lastKey = this.key.join('');
      this.key = undefined;
      return;
    }
    this.key?.push(c);
  }

  private structural(c: string, chunk: string, i: number): ElementText | undefined {
    switch (c) {
      case '"':
        this.inString = true;
        // strings directly inside a top-level object are its keys (and scalar values): remember the last
        this.key = this.topLevel === '{' && this.stack.length === 1 ? [] : undefined;
        return undefined;
      case '[':
      case '{':
        this.open(c);
        return undefined;
      case ']':
      case '}':
        return this.close(c, chunk, i);
      case ',':
        if (this.stack.length !== this.rowDepth) return undefined;
        if (this.elementStart < 0) throw this.error('empty element in the row array (doubled comma?)');
        return this.finishElement(chunk, i);
      default:
        if (this.stack.length === 0) throw this.error(`expected a JSON array or object, found '${c}'`);
        return undefined;
    }
  }

  private open(c: '[' | '{'): void {
    if (this.stack.length === 0) this.topLevel = c;
    const rowArray = c === '[' && this.stack.length === (this.topLevel === '[' ? 0 : 1);
    if (rowArray) {
      this.arrayKeys.push(this.topLevel === '{' ? this.lastKey : '');
      if (this.arrayKeys.length === 1) this.rowDepth = this.stack.length + 1;
    }
    this.stack.push(c);
  }

  private close(c: ']' | '}', chunk: string, i: number): ElementText | undefined {
    const open = this.stack.at(-1);
    if (open === undefined || (open === '[') !== (c === ']')) throw this.error(`unexpected '${c}'`);
    let element: ElementText | undefined;
    if (this.stack.length === this.rowDepth) {
      if (this.elementStart >= 0) element = this.finishElement(chunk, i);
      this.rowDepth = -1;
    }
    this.stack.pop();
    if (this.stack.length === 0) this.closed = true;
    return element;
  }

  private finishElement(chunk: string, end: number): ElementText {
    this.pieces.push(chunk.slice(this.elementStart, end));
    const text = this.pieces.join('');
    this.pieces = [];
    this.elementStart = -1;
    return { text, line: this.elementLine };
  }

  private error(message: string): DataError {
    return new DataError(message, { file: this.file, line: this.line, row: 0 });
  }
}
