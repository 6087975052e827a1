import 'reflect-metadata';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  cacheKeyParts,
  CachingConfig,
  DatasetCache,
  parseDatasetSpec,
  prepareDatasets,
  TaskConfig,
  Tokenizer,
  TrainingConfig,
  openDataset,
  type DataConfig,
  type DatasetConfig,
  type PrepareOptions,
  type TokenTableWriter,
} from '@aligntune/core';
import { buildTinyChatTokenizerFiles } from '@aligntune/core/testing';
import { cli } from '../helpers/run-cli.js';
import { HH_ROWS } from './fixtures.js';
import { columnTokens, dataKernel, jsonl, rowInfos, tempDir, writeFiles } from './helpers.js';

const tokenizer = new Tokenizer(buildTinyChatTokenizerFiles(), 'tiny-chat');

function setup() {
  const dir = writeFiles(tempDir(), {
    'hh.jsonl': jsonl([...HH_ROWS, ...HH_ROWS]),
    'gsm.jsonl': jsonl(Array.from({ length: 6 }, (_, i) => ({ question: `What is ${i} plus ${i}?`, answer: `It is ${2 * i}.\n#### ${2 * i}` }))),
  });
  const caching = Object.assign(new CachingConfig(), { root: join(dir, 'cache') });
  const config = (datasets: DatasetConfig[], train: Partial<TrainingConfig> = {}, extra: Partial<DataConfig> = {}): DataConfig => ({
    datasets,
    train: Object.assign(new TrainingConfig(), { shuffle: false }, train),
    caching,
    ...extra,
  });
  const warnings: string[] = [];
  const options: PrepareOptions = { kernel: dataKernel(), baseDir: dir, tokenizer, logger: { warn: (m) => warnings.push(m), info() {}, debug() {} } };
  return { dir, caching, config, options, warnings, cache: new DatasetCache(caching.root) };
}

describe('dataset cache', () => {
  it('misses, then hits with identical tokens, and mixes after the cache', async () => {
    const { config, options } = setup();
    const cfg = config([parseDatasetSpec('hh.jsonl'), parseDatasetSpec('gsm.jsonl?task_type=math')]);
    const first = await prepareDatasets(cfg, options);
    expect(first.datasets.map((d) => d.cacheHit)).toEqual([false, false]);
    const second = await prepareDatasets(cfg, options);
    expect(second.datasets.map((d) => d.cacheHit)).toEqual([true, true]);
    for (const [i, d] of second.datasets.entries()) {
      expect(rowInfos(d.data)).toEqual(rowInfos(first.datasets[i]!.data));
      expect(columnTokens(d.data, 'prompt')).toEqual(columnTokens(first.datasets[i]!.data, 'prompt'));
    }
    expect(second.datasets[0]!.data.row(0)).toMatchObject({ kind: 'preference', origin: 'hh.jsonl:1' });
    expect(second.datasets[1]!.data.row(0)).toMatchObject({ kind: 'completion', reference: '0', task_type: 'math' });
    expect(second.mixture.row).toHaveLength(8); // weights 1:1, the smaller dataset (4 rows) runs out first
  });

  it('keys on everything that decides the content', async () => {
    const { config, options, dir } = setup();
    const base = parseDatasetSpec('gsm.jsonl');
    const keyOf = async (ds: DatasetConfig, cfg: DataConfig = config([ds]), tok = tokenizer) =>
      DatasetCache.key(await cacheKeyParts(cfg, ds, await openDataset(ds, options), { ...options, tokenizer: tok }));
    const math = parseDatasetSpec('gsm.jsonl?task_type=math');
    const baseline = await keyOf(base);
    expect(await keyOf(parseDatasetSpec('gsm.jsonl'))).toBe(baseline);
    const variants = [
      await keyOf(parseDatasetSpec('gsm.jsonl#percent=50')),
      await keyOf(parseDatasetSpec('gsm.jsonl#max=3')),
      await keyOf(parseDatasetSpec('gsm.jsonl?map.question=answer&map.answer=question')),
      await keyOf(parseDatasetSpec('gsm.jsonl?adapter=qa')),
      await keyOf(parseDatasetSpec('gsm.jsonl?task_type=math')),
      await keyOf(math, config([math], {}, { tasks: [Object.assign(new TaskConfig(), { name: 'math', params: { instruction: 'Think.' } })] })),
      await keyOf(base, config([base], {}, { chat_template: 'chatml' })),
      await keyOf(parseDatasetSpec('gsm.jsonl?chat_template=plain')),
      await keyOf(base, config([base], { max_length: 64 })),
      await keyOf(base, config([base], { max_prompt_length: 32 })),
      await keyOf(base, config([base], { truncation_mode: 'keep_start' })),
      await keyOf(base, undefined, new Tokenizer(buildTinyChatTokenizerFiles(100), 'other')),
    ];
    const all = [baseline, ...variants];
    expect(all.filter((k, i) => all.indexOf(k) !== i)).toEqual([]);
    // mixing and shuffling happen after the cache
    expect(await keyOf(base, config([base], { seed: 7, shuffle: true }))).toBe(baseline);
    writeFiles(dir, { 'gsm.jsonl': jsonl([{ question: 'changed', answer: '#### 1' }]) });
    expect(await keyOf(base)).not.toBe(baseline);
  });

  it('rebuilds a corrupt entry instead of trusting it', async () => {
    const { config, options, cache, warnings } = setup();
    const cfg = config([parseDatasetSpec('gsm.jsonl')]);
    const first = await prepareDatasets(cfg, options);
    const path = cache.pathOf(first.datasets[0]!.cacheKey);
    // read before corrupting: tables read their file by position, and this edits it in place
    const expected = rowInfos(first.datasets[0]!.data);
    const bytes = readFileSync(path);
    bytes[bytes.length - 100] ^= 0xff;
    writeFileSync(path, bytes);
    const again = await prepareDatasets(cfg, options);
    expect(again.datasets[0]!.cacheHit).toBe(false);
    expect(warnings.some((w) => w.includes('is corrupt (checksum mismatch); rebuilding it'))).toBe(true);
    expect(rowInfos(again.datasets[0]!.data)).toEqual(expected);
    writeFileSync(path, bytes.subarray(0, 20)); // torn file
    expect(await cache.get(first.datasets[0]!.cacheKey)).toBeUndefined();
    expect((await prepareDatasets(cfg, options)).datasets[0]!.cacheHit).toBe(false);
    expect((await prepareDatasets(cfg, options)).datasets[0]!.cacheHit).toBe(true);
  });

  it('lets concurrent builders of one entry share the work, and survives a stale lock', async () => {
    const { caching, options, config } = setup();
    const ds = parseDatasetSpec('gsm.jsonl');
    const built = await prepareDatasets(config([ds]), { ...options, cache: null });
    const data = built.datasets[0]!.data;
    let builds = 0;
    const slowBuild = async (writer: TokenTableWriter) => {
      builds += 1;
      await new Promise((resolve) => setTimeout(resolve, 150));
      writer.appendTable(data);
    };
    const a = new DatasetCache(caching.root, { pollMs: 10 });
    const b = new DatasetCache(caching.root, { pollMs: 10 });
    const [ra, rb] = await Promise.all([a.getOrBuild({ x: 1 }, slowBuild), b.getOrBuild({ x: 1 }, slowBuild)]);
    expect(builds).toBe(1);
    expect([ra.hit, rb.hit].sort()).toEqual([false, true]);
    expect(rowInfos(rb.dataset)).toEqual(rowInfos(ra.dataset));
    writeFileSync(join(a.dir, `${DatasetCache.key({ x: 2 })}.lock`), '999999\n');
    const stale = new DatasetCache(caching.root, { staleLockMs: 0, pollMs: 10 });
    expect((await stale.getOrBuild({ x: 2 }, slowBuild)).hit).toBe(false);
    expect(readdirSync(a.dir).filter((n) => !n.endsWith('.atds'))).toEqual([]);
  });

  it('aligntune cache ls, verify and clean', async () => {
    const { config, options, cache, caching } = setup();
    const done = await prepareDatasets(config([parseDatasetSpec('hh.jsonl'), parseDatasetSpec('gsm.jsonl')]), options);
    const ls = await cli('cache', 'ls', '--root', caching.root);
    expect(ls.code).toBe(0);
    expect(ls.stdout).toMatch(/hh\.jsonl:train {2}4 rows, \d+ tokens/);
    expect(ls.stdout).toMatch(/gsm\.jsonl:train {2}6 rows/);
    const json = JSON.parse((await cli('cache', 'ls', '--root', caching.root, '--json')).stdout) as Array<{ key: string; rows: number }>;
    expect(json.map((e) => e.rows).sort()).toEqual([4, 6]);
    expect((await cli('cache', 'verify', '--root', caching.root)).stdout).toBe('2 of 2 entries ok\n');
    const path = cache.pathOf(done.datasets[1]!.cacheKey);
    const bytes = readFileSync(path);
    bytes[60] ^= 1;
    writeFileSync(path, bytes);
    const bad = await cli('cache', 'verify', '--root', caching.root);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain('1 of 2 entries ok');
    expect(bad.stderr).toContain('1 corrupt cache entry');
    expect((await cli('cache', 'clean', '--root', caching.root, '--older-than', '7d')).stdout).toBe('removed 0 entries (0 B)\n');
    expect((await cli('cache', 'clean', '--root', caching.root, '--older-than', 'soon')).code).toBe(2);
    expect((await cli('cache', 'clean', '--root', caching.root)).stdout).toMatch(/^removed 2 entries/);
    expect((await cli('cache', 'ls', '--root', caching.root)).stdout).toBe('the dataset cache is empty\n');
  });
});
