import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DatasetConfig, datasetRowLimit, parseDatasetSpec, resolveDatasetLoader } from '@aligntune/core';
import { DatasetLoader } from '@aligntune/core/kernel';
import { startTestKernel } from '@aligntune/core/testing';
import { issueLines } from './fake-catalog.js';

describe('parseDatasetSpec', () => {
  it('parses the spec examples', () => {
    expect(parseDatasetSpec('Anthropic/hh-rlhf:train#percent=25')).toMatchObject({ name: 'Anthropic/hh-rlhf', split: 'train', percent: 25 });
    expect(parseDatasetSpec('gsm8k:train#max=1000')).toMatchObject({ name: 'gsm8k', split: 'train', max_samples: 1000 });
    const mapped = parseDatasetSpec('HuggingFaceH4/ultrafeedback_binarized:train?map.prompt=prompt&map.chosen=chosen&map.rejected=rejected');
    expect(mapped.column_mapping).toEqual({ prompt: 'prompt', chosen: 'chosen', rejected: 'rejected' });
  });

  it('returns a DatasetConfig with defaults', () => {
    const ds = parseDatasetSpec('gsm8k');
    expect(ds).toBeInstanceOf(DatasetConfig);
    expect(ds).toMatchObject({ name: 'gsm8k', split: 'train', weight: 1, column_mapping: {} });
    expect(ds.percent).toBeUndefined();
  });

  it('combines limits with & and takes any DatasetConfig key after ?, typed', () => {
    const ds = parseDatasetSpec('gsm8k:test#percent=12.5&max=40?subset=main&revision=v1.0&weight=0.5&task_type=math&adapter=chat&loader=huggingface&eval_split=test&map.prompt=question');
    expect(ds).toMatchObject({
      name: 'gsm8k',
      split: 'test',
      percent: 12.5,
      max_samples: 40,
      subset: 'main',
      revision: 'v1.0',
      weight: 0.5,
      task_type: 'math',
      adapter: 'chat',
      loader: 'huggingface',
      eval_split: 'test',
      column_mapping: { prompt: 'question' },
    });
  });

  it('keeps string values as strings (a subset named "1" stays "1")', () => {
    expect(parseDatasetSpec('x?subset=1&revision=true').subset).toBe('1');
  });

  it('takes the split after the last colon, but never one containing a path separator', () => {
    expect(parseDatasetSpec('./data/prefs.jsonl')).toMatchObject({ name: './data/prefs.jsonl', split: 'train' });
    expect(parseDatasetSpec('./data/prefs.jsonl:test')).toMatchObject({ name: './data/prefs.jsonl', split: 'test' });
    expect(parseDatasetSpec('C:\\data\\prefs.jsonl')).toMatchObject({ name: 'C:\\data\\prefs.jsonl', split: 'train' });
    expect(parseDatasetSpec('./runs:2024/data.jsonl')).toMatchObject({ name: './runs:2024/data.jsonl' });
    expect(parseDatasetSpec('org/name:with:colons:validation')).toMatchObject({ name: 'org/name:with:colons', split: 'validation' });
    expect(parseDatasetSpec('squad:train[:10%]')).toMatchObject({ name: 'squad:train[', split: '10%]' });
  });
});

describe('parseDatasetSpec errors say what is wrong and where', () => {
  const cases: Array<[string, string]> = [
    ['', 'missing dataset name at the start'],
    [':train', 'missing dataset name at the start'],
    ['gsm8k:', "empty split after ':' at character 6"],
    ['gsm8k#', "nothing after '#' at character 6; expected percent=N or max=N"],
    ['gsm8k#percent=abc', 'percent at character 6 expects a number (got "abc")'],
    ['gsm8k#max=1.5', 'max at character 6 expects an integer (got "1.5")'],
    ['gsm8k#percentage=5', 'unknown limit "percentage" at character 6 (did you mean "percent"?); expected percent=N or max=N (combine with \'&\')'],
    ['gsm8k#percent=10|max=5', 'percent at character 6 expects a number (got "10|max=5")'],
    ['gsm8k#percent=5&percent=6', '"percent" is given twice (at character 16)'],
    ['gsm8k#max', '"max" at character 6 is not key=value'],
    ['gsm8k#max=5&&percent=1', "empty entry at character 12 (doubled '&'?)"],
    ['gsm8k?', "nothing after '?' at character 6; expected map.<new>=<old> or key=value"],
    ['gsm8k?map.=x', '"map.=x" at character 6 needs map.<new column>=<source column>'],
    ['gsm8k?map.prompt=', '"map.prompt=" at character 6 needs map.<new column>=<source column>'],
    ['gsm8k?subst=main', 'unknown key "subst" at character 6 (did you mean "subset"?); expected map.<new>=<old> or one of percent, max_samples, task_type, weight, chat_template, loader, adapter, subset, revision, on_bad_rows, eval_split'],
    ['gsm8k?weight=heavy', 'weight at character 6 expects a number (got "heavy")'],
  ];
  it.each(cases)('%j', (spec, message) => {
    expect(issueLines(() => parseDatasetSpec(spec))).toEqual([`dataset spec "${spec}": ${message}`]);
  });

  it('reports range errors from the DatasetConfig rules', () => {
    expect(issueLines(() => parseDatasetSpec('gsm8k#percent=150&max=0'))).toEqual([
      'dataset spec "gsm8k#percent=150&max=0": percent: must be a number in (0, 100] (got 150); max_samples: must be a positive integer (got 0)',
    ]);
  });
});

describe('datasetRowLimit', () => {
  it('takes the first ceil(percent) rows, then max_samples', () => {
    expect(datasetRowLimit(1000, {})).toBe(1000);
    expect(datasetRowLimit(1000, { percent: 25 })).toBe(250);
    expect(datasetRowLimit(50, { percent: 1 })).toBe(1); // rounded up: never empty
    expect(datasetRowLimit(101, { percent: 10 })).toBe(11);
    expect(datasetRowLimit(100, { percent: 29 })).toBe(29); // no float noise
    expect(datasetRowLimit(1000, { percent: 10, max_samples: 30 })).toBe(30);
    expect(datasetRowLimit(10, { max_samples: 30 })).toBe(10);
    expect(datasetRowLimit(0, { percent: 50 })).toBe(0);
  });
});

describe('resolveDatasetLoader', () => {
  const dir = mkdtempSync(join(tmpdir(), 'aligntune-loader-'));
  writeFileSync(join(dir, 'prefs'), '');
  const builtin = ['@aligntune/plugin-loader-local', '@aligntune/plugin-loader-huggingface'];
  const kernel = startTestKernel({ plugins: builtin }).kernel;

  it('honours an explicit loader', async () => {
    expect(await resolveDatasetLoader(kernel, { name: './x.jsonl', loader: 'custom' }, dir)).toBe('custom');
  });

  it('uses the loader serving files for existing files, relative to baseDir', async () => {
    expect(await resolveDatasetLoader(kernel, { name: 'prefs' }, dir)).toBe('local');
    expect(await resolveDatasetLoader(kernel, { name: join(dir, 'prefs') })).toBe('local');
  });

  it('uses the loader serving files for names that are clearly paths even when missing', async () => {
    for (const name of ['./missing', '../up/x', '/abs/path', 'examples/data/preferences.jsonl', 'data.csv', '~/x.parquet']) {
      expect(await resolveDatasetLoader(kernel, { name }, dir), name).toBe('local');
    }
  });

  it('uses the loader serving Hub ids otherwise', async () => {
    expect(await resolveDatasetLoader(kernel, { name: 'Anthropic/hh-rlhf' }, dir)).toBe('huggingface');
    expect(await resolveDatasetLoader(kernel, { name: 'gsm8k' }, dir)).toBe('huggingface');
  });

  it('lets a third-party loader that serves files at a higher priority be the default, with no core change', async () => {
    @DatasetLoader('fixture-files', { serves: 'files', priority: 1 })
    class FixtureFilesLoader {}
    const withFixture = startTestKernel({ plugins: [...builtin, FixtureFilesLoader] }).kernel;
    expect(await resolveDatasetLoader(withFixture, { name: './data.jsonl' }, dir)).toBe('fixture-files');
    expect(await resolveDatasetLoader(withFixture, { name: 'gsm8k' }, dir)).toBe('huggingface');
  });

  it('refuses to guess between loaders serving the same kind at one priority, and says when none serves it', async () => {
    @DatasetLoader('other-hub', { serves: 'hub' })
    class OtherHubLoader {}
    const tied = startTestKernel({ plugins: [...builtin, OtherHubLoader] }).kernel;
    await expect(resolveDatasetLoader(tied, { name: 'gsm8k' }, dir)).rejects.toThrow(
      'datasets.loader: installed dataset loaders huggingface, other-hub serve Hub dataset ids at the same priority (0); set loader to choose one',
    );
    const filesOnly = startTestKernel({ plugins: ['@aligntune/plugin-loader-local'] }).kernel;
    await expect(resolveDatasetLoader(filesOnly, { name: 'gsm8k' }, dir)).rejects.toThrow(
      'datasets.loader: no installed dataset loader serves Hub dataset ids ("gsm8k"): install one or set loader (installed: local)',
    );
    const broken = startTestKernel({ plugins: ['@aligntune/plugin-loader-local'] }).kernel;
    const manifest = { name: 'broken-hub-loader', version: '0.0.1', dir, entry: join(dir, 'index.js'), apiVersion: 1, provides: { 'dataset-loader': ['broken-hub'] }, usesTsyringe: false, origin: 'dependency' as const };
    broken.addManifest(manifest, () => Promise.reject(new Error('cannot find module hub-client')));
    await expect(resolveDatasetLoader(broken, { name: 'gsm8k' }, dir)).rejects.toThrow(/installed: broken-hub, local\); broken-hub's plugin does not load: .*cannot find module hub-client/);
  });
});
