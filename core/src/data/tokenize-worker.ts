import { parentPort, workerData } from 'node:worker_threads';
import { Tokenizer, type TokenizerFiles } from '../models/tokenizer.js';
import type { CanonicalRecord } from './canonical-record.js';
import { DataError } from './data-error.js';
import { tokenizeChunk, type ChunkTokenizeOptions } from './tokenize-chunk.js';

/** A tokenizing worker thread: the run's tokenizer rebuilt from its files, chunks in, packed tokens out. */
const init = workerData as { files: TokenizerFiles; source: string; options: ChunkTokenizeOptions };
const tokenizer = new Tokenizer(init.files, init.source);

parentPort!.on('message', ({ id, records }: { id: number; records: CanonicalRecord[] }) => {
  try {
    const chunk = tokenizeChunk(tokenizer, records, init.options);
    parentPort!.postMessage({ id, chunk }, [chunk.tokens.buffer, chunk.lengths.buffer, chunk.truncated.buffer]);
  } catch (error) {
    parentPort!.postMessage({ id, error: { message: (error as Error).message, data: error instanceof DataError } });
  }
});
