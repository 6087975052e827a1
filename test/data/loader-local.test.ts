import 'reflect-metadata';
import { gzipSync } from 'node:zlib';
import { utimesSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatOrigin, parseDatasetSpec } from '@aligntune/core';
import { jsonl, openLocal, readLocal, tempDir, writeFiles } from './helpers.js';
import { parquetBytes, type Codec } from './parquet-fixtures.js';

const values = (rows: Array<{ values: unknown }>) => rows.map((r) => r.values);

describe('local loader: JSON Lines', () => {
  it('reads rows with file:line origins, skipping blank lines and CRLF', async () => {
    const dir = writeFiles(tempDir(), { 'data.jsonl': '{"a":1}\r\n\r\n{"a":2,"b":"x"}\n' });
    const rows = await readLocal('data.jsonl', dir);
    expect(values(rows)).toEqual([{ a: 1 }, { a: 2, b: 'x' }]);
    expect(rows.map((r) => formatOrigin(r.origin))).toEqual(['data.jsonl:1', 'data.jsonl:3']);
  });

  it('reads gzip-compressed files', async () => {
    const dir = writeFiles(tempDir(), { 'train.jsonl.gz': gzipSync(jsonl([{ q: 'a' }, { q: 'b' }])) });
    expect(values(await readLocal('train.jsonl.gz', dir))).toEqual([{ q: 'a' }, { q: 'b' }]);
  });

  it('names file and line of invalid JSON and of non-object rows', async () => {
    const dir = writeFiles(tempDir(), { 'data.jsonl': '{"a":1}\n{"a":2}\n{"a":\n', 'arr.jsonl': '{"a":1}\n[1,2]\n' });
    await expect(readLocal('data.jsonl', dir)).rejects.toThrow(/^data\.jsonl:3: invalid JSON: /);
    await expect(readLocal('arr.jsonl', dir)).rejects.toThrow('arr.jsonl:2: expected a JSON object (one row), found an array');
  });
});

describe('local loader: JSON', () => {
  it('reads an array of rows, and an object holding one array', async () => {
    const dir = writeFiles(tempDir(), {
      'a.json': '[\n  {"x": 1},\n  {"x": 2}\n]\n',
      'b.json': '{"version": "1.0", "meta": {"n": [1, 2]}, "data": [{"x": "]"}, {"x": "\\"{"}]}',
    });
    const rows = await readLocal('a.json', dir);
    expect(values(rows)).toEqual([{ x: 1 }, { x: 2 }]);
    expect(rows.map((r) => formatOrigin(r.origin))).toEqual(['a.json:2', 'a.json:3']);
    expect(values(await readLocal('b.json', dir))).toEqual([{ x: ']' }, { x: '"{' }]);
  });

  it('streams a file across many chunks', async () => {
    const many = Array.from({ length: 3000 }, (_, i) => ({ i, text: `line [${i}] with "quotes" and {braces}\n` }));
    const dir = writeFiles(tempDir(), { 'big.json': JSON.stringify(many, null, 1) });
    const rows = await readLocal('big.json', dir);
    expect(rows).toHaveLength(3000);
    expect(rows[2999]!.values).toEqual(many[2999]);
  });

  it('names the line of a bad element and rejects malformed documents', async () => {
    const dir = writeFiles(tempDir(), {
      'bad.json': '[\n{"x": 1},\n{"x": tru},\n{"x": 3}\n]',
      'cut.json': '[{"x": 1}, {"x": 2',
      'two.json': '{"train": [{"x": 1}], "test": [{"x": 2}]}',
      'none.json': '{"x": 1}',
      'scalar.json': '[1]',
    });
    await expect(readLocal('bad.json', dir)).rejects.toThrow(/^bad\.json:3: invalid JSON/);
    await expect(readLocal('cut.json', dir)).rejects.toThrow("cut.json: unexpected end of file (unclosed '{')");
    await expect(readLocal('two.json', dir)).rejects.toThrow('several arrays ("train", "test")');
    await expect(readLocal('none.json', dir)).rejects.toThrow('holds no array of rows');
    await expect(readLocal('scalar.json', dir)).rejects.toThrow('scalar.json:1: expected a JSON object (one row), found a number');
  });
});

describe('local loader: CSV', () => {
  it('follows RFC 4180 quoting: delimiters, newlines and doubled quotes inside quotes; CRLF', async () => {
    const csv = 'prompt,completion\r\n"Hi, there","He said ""no""\r\nthen left"\r\nplain,"x"\r\n';
    const dir = writeFiles(tempDir(), { 'd.csv': csv, 'd.tsv': 'a\tb\n1\t"x\ty"\n' });
    const rows = await readLocal('d.csv', dir);
    expect(values(rows)).toEqual([
      { prompt: 'Hi, there', completion: 'He said "no"\r\nthen left' },
      { prompt: 'plain', completion: 'x' },
    ]);
    expect(rows.map((r) => formatOrigin(r.origin))).toEqual(['d.csv:2', 'd.csv:4']);
    expect(values(await readLocal('d.tsv', dir))).toEqual([{ a: '1', b: 'x\ty' }]);
  });

  it('names the line of a record with the wrong field count, an open quote, or text after a quote', async () => {
    const dir = writeFiles(tempDir(), {
      'count.csv': 'a,b\n1,2\n1,2,3\n',
      'open.csv': 'a,b\n1,2\n3,"never closed\nmore\n',
      'after.csv': 'a,b\n"x"y,2\n',
      'empty.csv': '',
    });
    await expect(readLocal('count.csv', dir)).rejects.toThrow('count.csv:3: 3 fields, but the header has 2 (a, b)');
    await expect(readLocal('open.csv', dir)).rejects.toThrow('open.csv:3: quoted field is never closed');
    await expect(readLocal('after.csv', dir)).rejects.toThrow(`after.csv:2: unexpected 'y' after a closing quote`);
    await expect(readLocal('empty.csv', dir)).rejects.toThrow('empty.csv: the file is empty; expected a header row');
  });
});

describe('local loader: parquet', () => {
  const columns = () => [
    { name: 'id', data: [1n, 2n, 9007199254740993n], type: 'INT64' as const },
    { name: 'prompt', data: ['a', 'b', 'c'], type: 'STRING' as const },
    { name: 'messages', data: [[{ role: 'user', content: 'hi' }], [], [{ role: 'assistant', content: 'yo' }]], type: 'JSON' as const },
  ];

  for (const codec of ['SNAPPY', 'GZIP', 'ZSTD', 'UNCOMPRESSED'] as Codec[]) {
    it(`reads ${codec} row groups, INT64 as numbers (or strings beyond 2^53)`, async () => {
      const dir = writeFiles(tempDir(), { 'x.parquet': parquetBytes(columns(), codec, 2) });
      const split = await openLocal(parseDatasetSpec('x.parquet'), dir);
      expect(await split.countRows()).toBe(3);
      const rows = [];
      for await (const row of split.rows()) rows.push(row);
      expect(rows.map((r) => r.values)).toEqual([
        { id: 1, prompt: 'a', messages: [{ role: 'user', content: 'hi' }] },
        { id: 2, prompt: 'b', messages: [] },
        { id: '9007199254740993', prompt: 'c', messages: [{ role: 'assistant', content: 'yo' }] },
      ]);
      expect(formatOrigin(rows[2]!.origin)).toBe('x.parquet row 3');
      expect(JSON.stringify(rows.map((r) => r.values))).toContain('9007199254740993');
    });
  }

  it('names the file when it is not parquet', async () => {
    const dir = writeFiles(tempDir(), { 'bad.parquet': 'definitely not parquet' });
    await expect(readLocal('bad.parquet', dir)).rejects.toThrow(/^bad\.parquet: not a readable parquet file/);
  });
});

describe('local loader: directories of shards', () => {
  it('reads the split’s shards in sorted order and ignores metadata files', async () => {
    const dir = writeFiles(tempDir(), {
      'ds/train-00001-of-00002.jsonl': jsonl([{ n: 2 }]),
      'ds/train-00000-of-00002.jsonl': jsonl([{ n: 1 }]),
      'ds/test.jsonl': jsonl([{ n: 9 }]),
      'ds/dataset_info.json': '{"not": "rows"}',
      'ds/README.md': '# card',
    });
    const train = await readLocal('ds', dir);
    expect(values(train)).toEqual([{ n: 1 }, { n: 2 }]);
    expect(formatOrigin(train[1]!.origin)).toBe(join('ds', 'train-00001-of-00002.jsonl') + ':1');
    expect(values(await readLocal('ds:test', dir))).toEqual([{ n: 9 }]);
    await expect(readLocal('ds:validation', dir)).rejects.toThrow('ds: no files for split "validation"; splits found: test, train');
  });

  it('treats unnamed shards as the train split and rejects mixed formats', async () => {
    const dir = writeFiles(tempDir(), {
      'shards/part-0.jsonl': jsonl([{ n: 1 }]),
      'shards/part-1.jsonl': jsonl([{ n: 2 }]),
      'mixed/a.jsonl': jsonl([{ n: 1 }]),
      'mixed/b.csv': 'n\n2\n',
    });
    expect(values(await readLocal('shards', dir))).toHaveLength(2);
    await expect(readLocal('mixed', dir)).rejects.toThrow('mixed: the split\'s files mix formats');
  });

  it('says what is missing', async () => {
    const dir = tempDir();
    await expect(readLocal('./nope.jsonl', dir)).rejects.toThrow('./nope.jsonl: no such file or directory');
    writeFiles(dir, { 'data.txt': 'x' });
    await expect(readLocal('data.txt', dir)).rejects.toThrow('data.txt: unsupported data file type');
    writeFiles(dir, { 'one.jsonl': jsonl([{ a: 1 }]) });
    await expect(readLocal('one.jsonl:test', dir)).rejects.toThrow('a single file is the "train" split');
  });

  it('fingerprints content, not modification times', async () => {
    const dir = writeFiles(tempDir(), { 'd.jsonl': jsonl([{ a: 1 }]) });
    const ds = parseDatasetSpec('d.jsonl');
    const first = await (await openLocal(ds, dir)).fingerprint();
    utimesSync(join(dir, 'd.jsonl'), new Date(2001, 1, 1), new Date(2001, 1, 1));
    expect(await (await openLocal(ds, dir)).fingerprint()).toBe(first);
    writeFiles(dir, { 'd.jsonl': jsonl([{ a: 2 }]) });
    expect(await (await openLocal(ds, dir)).fingerprint()).not.toBe(first);
  });
});
