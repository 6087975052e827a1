import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeDataAtomic } from '@aligntune/core/util';
import { compileWithSharedWeights, emitModel, Graph, hostValues, type GraphExecutor, type HostTensor } from '@aligntune/core/engine';
import { type DecoderModel, type WeightStorage } from '@aligntune/core/models';
import { collatePairs, type SequenceBatch, hashFile, type TokenizedDataset } from '@aligntune/core/data';
import { float32Tensor, tokenFeeds } from '@aligntune/core/training';
import { COMPLETION_MASK, declarePairInputs, referencePairLogps } from './pair-graph.js';

const FORMAT = 1;

/** Reference log-probs of every row of one table (float32, as the graph computes them). */
export interface PairTable {
  chosen: Float32Array;
  rejected: Float32Array;
}

export interface PrecomputeOptions {
  executor: GraphExecutor;
  reference: DecoderModel;
  /** Directory of the reference weights (their content is part of the cache key). */
  referenceDir?: string;
  /** How the reference's weights are stored (bf16, quantized): part of the cache key, since it changes the log-probs. */
  referenceStorage?: WeightStorage;
  padTokenId: number;
  batchSize: number;
  /** `<caching.root>` when caching is enabled. */
  cacheRoot?: string;
  feeds: Record<string, HostTensor>;
}

/**
 * Runs the reference once over a table (TRL's precompute_ref_log_probs). Results are stored under
 * `<caching.root>/ref-logps/<key>.json`, keyed by the reference weights' content and the table's tokens,
 * so a second run over the same data and reference reuses them.
 */
export async function precomputeReferenceLogps(table: TokenizedDataset, options: PrecomputeOptions): Promise<{ logps: PairTable; hit: boolean }> {
  const file = options.cacheRoot && options.referenceDir ? join(options.cacheRoot, 'ref-logps', `${await cacheKey(table, options.referenceDir, options.referenceStorage)}.json`) : undefined;
  if (file && existsSync(file)) {
    const stored = JSON.parse(await readFile(file, 'utf8')) as { chosen: number[]; rejected: number[] };
    if (stored.chosen.length === table.size) return { logps: { chosen: Float32Array.from(stored.chosen), rejected: Float32Array.from(stored.rejected) }, hit: true };
  }
  const logps = await computeReferenceLogps(table, options);
  if (file) await writeDataAtomic(file, JSON.stringify({ chosen: [...logps.chosen], rejected: [...logps.rejected] }));
  return { logps, hit: false };
}

async function computeReferenceLogps(table: TokenizedDataset, options: PrecomputeOptions): Promise<PairTable> {
  const g = new Graph('dpo-reference-logps');
  const inputs = declarePairInputs(g);
  const ref = referencePairLogps(g, options.reference, inputs);
  const compiled = await compileWithSharedWeights(options.executor, emitModel(g, { outputs: { chosen: ref.chosen, rejected: ref.rejected } }), { label: 'dpo reference log-probs' });
  const out: PairTable = { chosen: new Float32Array(table.size), rejected: new Float32Array(table.size) };
  try {
    for (let at = 0; at < table.size; at += options.batchSize) {
      const rows = Array.from({ length: Math.min(options.batchSize, table.size - at) }, (_, i) => at + i);
      const feeds: Record<string, HostTensor> = { ...options.feeds, ...pairFeeds(collatePairs(table, rows, { padTokenId: options.padTokenId })) };
      const result = await compiled.run(Object.fromEntries(compiled.inputNames.map((n) => [n, feeds[n]!])));
      out.chosen.set(hostValues(result.chosen!), at);
      out.rejected.set(hostValues(result.rejected!), at);
    }
  } finally {
    await compiled.dispose();
  }
  return out;
}

/** Token inputs and completion mask of a collated pair batch. */
export function pairFeeds(batch: SequenceBatch): Record<string, HostTensor> {
  return { ...tokenFeeds(batch), [COMPLETION_MASK]: float32Tensor(batch.completionMask, [batch.rows, batch.length]) };
}

async function cacheKey(table: TokenizedDataset, referenceDir: string, storage?: WeightStorage): Promise<string> {
  const hash = createHash('sha256').update(`ref-logps:${FORMAT}\n`);
  if (storage && (storage.precision !== 'fp32' || storage.quantization)) hash.update(`storage:${JSON.stringify(storage)}\n`);
  for (const file of readdirSync(referenceDir).filter((f) => f.endsWith('.safetensors') || f === 'config.json').sort()) {
    hash.update(`${file}:${await hashFile(join(referenceDir, file))}\n`);
  }
  hash.update(`rows:${table.contentId()}\n`);
  return hash.digest('hex');
}
