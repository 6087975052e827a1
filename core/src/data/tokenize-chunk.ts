import type { Tokenizer } from '../models/tokenizer.js';
import type { CanonicalRecord } from './canonical-record.js';
import { effectiveChatTemplate, tokenizeRecord, type TokenizeOptions } from './tokenize-records.js';
import { TOKEN_COLUMNS } from './tokenized-dataset.js';

/** The options a tokenizing worker needs (no logger: workers report through the chunk). */
export type ChunkTokenizeOptions = Omit<TokenizeOptions, 'logger'>;

/**
 * A chunk of records' tokens packed in three typed arrays (transferable between threads without copying):
 * row r's columns are `lengths[r × C .. r × C + C)` (TOKEN_COLUMNS order), their tokens one after another.
 */
export interface TokenizedChunk {
  tokens: Int32Array<ArrayBuffer>;
  lengths: Uint32Array<ArrayBuffer>;
  truncated: Uint8Array<ArrayBuffer>;
  /** Why earlier assistant turns could not be masked, the first time it happened in the chunk. */
  unmaskable?: string;
}

/** Tokenizes a chunk of records (tokenizeRecord on each, in order) into a packed chunk. */
export function tokenizeChunk(tokenizer: Tokenizer, records: readonly CanonicalRecord[], options: ChunkTokenizeOptions): TokenizedChunk {
  const template = effectiveChatTemplate(tokenizer, options.chatTemplate);
  const lengths = new Uint32Array(records.length * TOKEN_COLUMNS.length);
  const truncated = new Uint8Array(records.length);
  const rows: number[][] = [];
  let unmaskable: string | undefined;
  let total = 0;
  records.forEach((record, r) => {
    const tokens = tokenizeRecord(tokenizer, record, options, template, (reason) => (unmaskable ??= reason));
    truncated[r] = tokens.truncated ? 1 : 0;
    TOKEN_COLUMNS.forEach((column, c) => {
      const ids = tokens[column] ?? [];
      lengths[r * TOKEN_COLUMNS.length + c] = ids.length;
      rows.push(ids);
      total += ids.length;
    });
  });
  const packed = new Int32Array(total);
  let at = 0;
  for (const ids of rows) {
    packed.set(ids, at);
    at += ids.length;
  }
  return { tokens: packed, lengths, truncated, ...(unmaskable ? { unmaskable } : {}) };
}
