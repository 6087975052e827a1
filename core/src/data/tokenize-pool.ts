import { Worker } from 'node:worker_threads';
import type { Tokenizer } from '../models/tokenizer.js';
import type { CanonicalRecord } from './canonical-record.js';
import { DataError } from './data-error.js';
import type { ChunkTokenizeOptions, TokenizedChunk } from './tokenize-chunk.js';

type Reply = { id: number; chunk?: TokenizedChunk; error?: { message: string; data: boolean } };

/**
 * The worker script. Built code runs the compiled sibling; tests run the TypeScript sources, which a worker
 * cannot load, so they use the build in dist/ (the same code: `tsc -b` runs before the suite).
 */
function workerUrl(): URL {
  const here = import.meta.url;
  return here.endsWith('.ts') ? new URL('../../dist/data/tokenize-worker.js', here) : new URL('./tokenize-worker.js', here);
}

/**
 * Worker threads that tokenize chunks of records (datasets.map(num_proc=)): chunks go round-robin, each
 * answer resolves its own promise, so the caller keeps its order by awaiting the promises in order.
 */
export class TokenizePool {
  private readonly workers: Worker[];
  private readonly pending = new Map<number, { resolve: (chunk: TokenizedChunk) => void; reject: (error: Error) => void }>();
  private next = 0;

  constructor(tokenizer: Tokenizer, options: ChunkTokenizeOptions, size: number) {
    const workerData = { files: tokenizer.files, source: tokenizer.source, options };
    this.workers = Array.from({ length: size }, () => {
      const worker = new Worker(workerUrl(), { workerData });
      worker.on('message', (reply: Reply) => this.settle(reply));
      worker.on('error', (error) => this.failAll(error));
      return worker;
    });
  }

  tokenize(records: CanonicalRecord[]): Promise<TokenizedChunk> {
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.workers[id % this.workers.length]!.postMessage({ id, records });
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private settle(reply: Reply): void {
    const waiter = this.pending.get(reply.id);
    if (!waiter) return;
    this.pending.delete(reply.id);
    if (reply.chunk) waiter.resolve(reply.chunk);
    else waiter.reject(reply.error!.data ? new DataError(reply.error!.message) : new Error(reply.error!.message));
  }

  private failAll(error: Error): void {
    for (const waiter of this.pending.values()) waiter.reject(error);
    this.pending.clear();
  }
}
