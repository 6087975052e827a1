/** A configuration file that is missing a field, has a field of the wrong type, or asks for something unsupported. */
export class ModelFileError extends Error {
  /** Read by the CLI's exit-code mapping: the user fixes their model files (exit code 2). */
  readonly exitCode = 2;

  constructor(
    readonly file: string,
    readonly field: string | undefined,
    detail: string,
  ) {
    super(`${file}: ${field === undefined ? '' : `field "${field}": `}${detail}`);
    this.name = 'ModelFileError';
  }
}

/** Typed access to the fields of a parsed JSON file; every failure names the file and the field. */
export class JsonFields {
  constructor(
    readonly raw: Readonly<Record<string, unknown>>,
    readonly file: string,
  ) {}

  static parse(text: string, file: string): JsonFields {
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (err) {
      throw new ModelFileError(file, undefined, `invalid JSON (${(err as Error).message})`);
    }
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ModelFileError(file, undefined, 'expected a JSON object');
    return new JsonFields(raw as Record<string, unknown>, file);
  }

  fail(field: string | undefined, detail: string): never {
    throw new ModelFileError(this.file, field, detail);
  }

  has(field: string): boolean {
    return this.raw[field] !== undefined && this.raw[field] !== null;
  }

  /** A positive integer that must be present. */
  count(field: string): number {
    const v = this.raw[field];
    if (v === undefined || v === null) this.fail(field, 'is required but missing');
    return this.checkCount(field, v);
  }

  /** A positive integer, or `fallback` when absent or null. */
  countOr(field: string, fallback: number): number {
    return this.has(field) ? this.checkCount(field, this.raw[field]) : fallback;
  }

  private checkCount(field: string, v: unknown): number {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0) this.fail(field, `must be a positive integer, got ${JSON.stringify(v)}`);
    return v;
  }

  numberOr(field: string, fallback: number): number {
    if (!this.has(field)) return fallback;
    const v = this.raw[field];
    if (typeof v !== 'number' || !Number.isFinite(v)) this.fail(field, `must be a number, got ${JSON.stringify(v)}`);
    return v;
  }

  boolOr(field: string, fallback: boolean): boolean {
    if (!this.has(field)) return fallback;
    const v = this.raw[field];
    if (typeof v !== 'boolean') this.fail(field, `must be true or false, got ${JSON.stringify(v)}`);
    return v;
  }

  stringOr(field: string, fallback: string): string {
    if (!this.has(field)) return fallback;
    const v = this.raw[field];
    if (typeof v !== 'string') this.fail(field, `must be a string, got ${JSON.stringify(v)}`);
    return v;
  }

  /** A token id (non-negative integer) or null when absent. */
  tokenId(field: string): number | null {
    if (!this.has(field)) return null;
    const v = this.raw[field];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) this.fail(field, `must be a token id, got ${JSON.stringify(v)}`);
    return v;
  }

  /** One token id or a list of them (eos_token_id may be either); [] when absent. */
  tokenIds(field: string): number[] {
    if (!this.has(field)) return [];
    const v = this.raw[field];
    const list = Array.isArray(v) ? v : [v];
    if (!list.every((x) => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0)) {
      this.fail(field, `must be a token id or a list of token ids, got ${JSON.stringify(v)}`);
    }
    return list as number[];
  }

  stringList(field: string): string[] {
    if (!this.has(field)) return [];
    const v = this.raw[field];
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) this.fail(field, `must be a list of strings, got ${JSON.stringify(v)}`);
    return v as string[];
  }
}
