import type { Tokenizer } from '../models/tokenizer.js';
import type { CanonicalRecord } from './canonical-record.js';
import type { TokenTableWriter } from './dataset-cache-file.js';
import { tokenizeChunk, type TokenizedChunk } from './tokenize-chunk.js';
import { TokenizePool } from './tokenize-pool.js';
import { effectiveChatTemplate, reportTokenization, rowInfo, usesPlainTemplate, warnPlainTemplate, type TokenizeOptions } from './tokenize-records.js';
import { TOKEN_COLUMNS } from './tokenized-dataset.js';

export interface StreamTokenizeOptions extends TokenizeOptions {
  /** Worker threads that tokenize (caching.num_proc); 1 tokenizes on the main thread. */
  numProc: number;
}

/**
 * Tokenizes a stream of record chunks into the writer, in order. The first chunk is tokenized here (a small
 * dataset never starts a worker); later ones go to `numProc` worker threads, at most two chunks per worker in
 * flight, and are written in the order they were read, so the table is byte for byte the single-thread one.
 */
export async function writeTokenizedRecords(tokenizer: Tokenizer, chunks: AsyncIterable<CanonicalRecord[]>, writer: TokenTableWriter, options: StreamTokenizeOptions): Promise<void> {
  const { logger: _logger, numProc, ...chunkOptions } = options;
  const template = effectiveChatTemplate(tokenizer, options.chatTemplate);
  const found = { unmaskable: undefined as string | undefined, truncated: 0, rows: 0, plainWarned: false };
  const queue: Array<{ records: CanonicalRecord[]; tokens: Promise<TokenizedChunk> }> = [];
  const write = async () => {
    const { records, tokens } = queue.shift()!;
    const chunk = await tokens;
    appendChunk(writer, records, chunk);
    found.unmaskable ??= chunk.unmaskable;
    found.rows += records.length;
    for (const t of chunk.truncated) found.truncated += t;
  };
  let pool: TokenizePool | undefined;
  try {
    for await (const records of chunks) {
      if (!found.plainWarned && usesPlainTemplate(records, template, options)) {
        warnPlainTemplate(tokenizer, options);
        found.plainWarned = true;
      }
      const first = found.rows === 0 && queue.length === 0;
      if (!first && numProc > 1) pool ??= new TokenizePool(tokenizer, chunkOptions, numProc);
      queue.push({ records, tokens: pool ? pool.tokenize(records) : Promise.resolve(tokenizeChunk(tokenizer, records, chunkOptions)) });
      while (queue.length > 2 * numProc) await write();
    }
    while (queue.length > 0) await write();
  } finally {
    // chunks still in flight after an error are dropped with the pool
    for (const { tokens } of queue) tokens.catch(() => undefined);
    await pool?.close();
  }
  reportTokenization(tokenizer, options, found);
}

function appendChunk(writer: TokenTableWriter, records: readonly CanonicalRecord[], chunk: TokenizedChunk): void {
  let at = 0;
  records.forEach((record, r) => {
    const row: Partial<Record<(typeof TOKEN_COLUMNS)[number], Int32Array>> = {};
    TOKEN_COLUMNS.forEach((column, c) => {
      const length = chunk.lengths[r * TOKEN_COLUMNS.length + c]!;
      row[column] = chunk.tokens.subarray(at, at + length);
      at += length;
    });
    writer.append(row, rowInfo(record, chunk.truncated[r] === 1));
  });
}
