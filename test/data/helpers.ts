import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseDatasetSpec, type DatasetConfig, type Kernel, type SourceRow, type SplitSource, type TokenColumn, type TokenizedDataset, type TokenizedRowInfo } from '@aligntune/core';
import { startTestKernel } from '@aligntune/core/testing';
import { LocalLoader } from '@aligntune/plugin-loader-local';

export function tempDir(prefix = 'aligntune-data-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Writes files (relative path → text or bytes) under dir; returns dir. */
export function writeFiles(dir: string, files: Record<string, string | Uint8Array>): string {
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), content);
  }
  return dir;
}

export function jsonl(rows: readonly unknown[]): string {
  return rows.map((row) => JSON.stringify(row)).join('\n') + '\n';
}

/** A test kernel with the built-in data plugins. */
export function dataKernel(): Kernel {
  const plugins = ['adapters-builtin', 'tasks-builtin', 'loader-local', 'loader-huggingface'];
  return startTestKernel({ plugins: plugins.map((id) => `@aligntune/plugin-${id}`) }).kernel;
}

export async function collect<T>(rows: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const row of rows) out.push(row);
  return out;
}

/** Opens a local dataset spec relative to dir and reads all its rows. */
export async function readLocal(spec: string, dir: string): Promise<SourceRow[]> {
  return collect((await openLocal(parseDatasetSpec(spec), dir)).rows());
}

export function openLocal(ds: DatasetConfig, dir: string): Promise<SplitSource> {
  return new LocalLoader().open(ds, { baseDir: dir });
}

/** Every row info of a table, for comparing small tables whole. */
export function rowInfos(data: TokenizedDataset): TokenizedRowInfo[] {
  return Array.from({ length: data.size }, (_, i) => data.row(i));
}

/** Every token of a column, row after row, for comparing small tables whole. */
export function columnTokens(data: TokenizedDataset, column: TokenColumn): number[][] {
  return Array.from({ length: data.size }, (_, i) => [...data.tokens(column, i)]);
}
