import 'reflect-metadata';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildTinyChatTokenizerFiles } from '@aligntune/core/testing';
import {
  CachingConfig,
  epochOrder,
  mixDatasets,
  parseDatasetSpec,
  prepareDatasets,
  tokenizeRecords,
  Tokenizer,
  TokenizedDataset,
  TrainingConfig,
  loadTrainingRecords,
  type DataConfig,
  type PrepareOptions,
} from '@aligntune/core';
import { holdOut, mergeRows } from '../../core/src/training/training-data.js';
import { HH_ROWS } from './fixtures.js';
import { columnTokens, dataKernel, jsonl, rowInfos, tempDir, writeFiles } from './helpers.js';

const tokenizer = new Tokenizer(buildTinyChatTokenizerFiles(), 'tiny-chat');
const ROWS = 300;
const preference = (i: number) => ({ prompt: `Question number ${i}?`, chosen: `Yes ${i}`, rejected: `No ${i % 11}`.repeat(1 + (i % 5)) });
const chat = (i: number) => ({ messages: [{ role: 'user', content: `hi ${i}` }, { role: 'assistant', content: `hello ${i}` }, { role: 'user', content: 'more' }, { role: 'assistant', content: `x`.repeat(i % 9) }] });

function setup(numProc: number, root = 'cache') {
  const dir = writeFiles(tempDir(), { 'prefs.jsonl': jsonl(Array.from({ length: ROWS }, (_, i) => preference(i))), 'chat.jsonl': jsonl(Array.from({ length: ROWS }, (_, i) => chat(i))) });
  const config = (spec: string): DataConfig => ({
    datasets: [parseDatasetSpec(spec)],
    train: Object.assign(new TrainingConfig(), { max_length: 24, max_prompt_length: 12 }),
    caching: Object.assign(new CachingConfig(), { root: join(dir, root), num_proc: numProc }),
  });
  const options: PrepareOptions = { kernel: dataKernel(), baseDir: dir, tokenizer, chunkRows: 16 };
  return { dir, config, options };
}

const entryBytes = (dir: string) => {
  const cacheDir = join(dir, 'cache', 'datasets');
  const [name] = readdirSync(cacheDir).filter((n) => n.endsWith('.atds'));
  const bytes = readFileSync(join(cacheDir, name!));
  // the header holds the creation time; everything after it must match byte for byte
  const start = 12 + bytes.readUInt32LE(8);
  return bytes.subarray(start, bytes.length - 32);
};

describe('data at scale, on small data', () => {
  it('worker-thread tokenization writes the same cache bytes as one thread, in order', { timeout: 60_000 }, async () => {
    for (const spec of ['prefs.jsonl', 'chat.jsonl']) {
      const one = setup(1);
      const two = setup(2);
      const a = await prepareDatasets(one.config(spec), one.options);
      const b = await prepareDatasets(two.config(spec), two.options);
      expect(b.datasets[0]!.data.size).toBe(ROWS);
      expect(Buffer.compare(entryBytes(one.dir), entryBytes(two.dir))).toBe(0);
      expect(rowInfos(b.datasets[0]!.data).map((r) => r.origin)).toEqual(Array.from({ length: ROWS }, (_, i) => `${spec}:${i + 1}`));
      expect(columnTokens(b.datasets[0]!.data, 'prompt')).toEqual(columnTokens(a.datasets[0]!.data, 'prompt'));
    }
  });

  it('a cache entry read through its file views gives the tokens and rows of in-memory tokenization', async () => {
    const { config, options } = setup(1);
    const cfg = config('prefs.jsonl');
    const built = await prepareDatasets(cfg, options);
    const cached = (await prepareDatasets(cfg, options)).datasets[0]!;
    expect(cached.cacheHit).toBe(true);
    const { records } = await loadTrainingRecords({ ...cfg, train: { seed: 0, shuffle: false } }, options);
    const memory = tokenizeRecords(tokenizer, records, { maxLength: 24, maxPromptLength: 12, truncationMode: 'keep_end' });
    for (const data of [built.datasets[0]!.data, cached.data]) {
      for (const column of ['prompt', 'chosen', 'rejected'] as const) expect(columnTokens(data, column)).toEqual(columnTokens(memory, column));
      expect(rowInfos(data)).toEqual(rowInfos(memory));
      expect(new Set(Array.from({ length: data.size }, (_, i) => data.kind(i)))).toEqual(new Set(['preference']));
      expect(data.hasColumn('completion')).toBe(false);
      expect(data.hasColumn('chosen')).toBe(true);
    }
    // an uncached table is built the same way, read from an unlinked temporary file
    const uncached = await prepareDatasets(cfg, { ...options, cache: null });
    expect(columnTokens(uncached.datasets[0]!.data, 'chosen')).toEqual(columnTokens(memory, 'chosen'));
  });

  it('mixes, filters and holds out by index: views over the datasets with the rows of the mixture', async () => {
    const mixture = mixDatasets([300, 100], [2, 1], { seed: 3, shuffle: true });
    expect(mixture.row).toBeInstanceOf(Uint32Array);
    expect(mixture.dataset).toBeInstanceOf(Uint16Array);
    expect(mixture.row).toHaveLength(300); // 2:1, the second dataset (100 rows) runs out first
    const table = (n: number, kind: 'preference' | 'prompt') =>
      new TokenizedDataset(
        { prompt: { values: Int32Array.from({ length: n }, (_, i) => i), offsets: Uint32Array.from({ length: n + 1 }, (_, i) => i) } },
        Array.from({ length: n }, (_, i) => ({ kind, prompt: `p${i}`, extra: {} })),
      );
    const datasets = [table(300, 'preference'), table(100, 'prompt')].map((data, index) => ({ index, data }) as never);
    const merged = mergeRows(datasets, mixture, { kinds: ['preference', 'prompt'] });
    for (let i = 0; i < merged.size; i++) expect(merged.row(i).prompt).toBe(`p${mixture.row[i]}`);
    const onlyPreferences = mergeRows(datasets, mixture, { kinds: ['preference'] });
    expect(onlyPreferences.size).toBe(200);
    const { train, eval: held } = holdOut(onlyPreferences, 0.1, 5);
    expect([train.size, held.size]).toEqual([180, 20]);
    const seen = new Set([...rowInfos(train), ...rowInfos(held)].map((r) => r.prompt));
    expect(seen.size).toBe(200);
    expect(held.contentId()).not.toBe(train.contentId());
    expect(epochOrder(5, { shuffle: false, seed: 1, epoch: 0 })).toEqual(Uint32Array.from([0, 1, 2, 3, 4]));
    // a selection of a million rows costs typed arrays, never an argument list
    const big = epochOrder(1_000_000, { shuffle: true, seed: 1, epoch: 0 });
    expect(table(10, 'prompt').select(big.map((i) => i % 10)).size).toBe(1_000_000);
  });
});
