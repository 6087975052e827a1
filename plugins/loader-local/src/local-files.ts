import { readdir, stat } from 'node:fs/promises';
import { basename, join, relative, sep } from 'node:path';
import { DataError, fileFormatOf, selectSplitFiles, splitsFound, type DataFile } from '@aligntune/core/data';

/** Files in a dataset folder that describe it rather than hold rows (Hugging Face save_to_disk, cards). */
const METADATA_FILES = new Set(['dataset_info.json', 'dataset_dict.json', 'state.json', 'readme.md']);

/**
 * The data files of a local dataset: the file itself, or the split's shards in a directory (searched
 * recursively, sorted by path, all of one format).
 */
export async function localSplitFiles(path: string, name: string, split: string): Promise<DataFile[]> {
  const info = await stat(path).catch(() => undefined);
  if (!info) throw new DataError(`${name}: no such file or directory (resolved to ${path})`);
  if (info.isFile()) return [singleFile(path, name, split)];
  const all = await dataFilesUnder(path);
  if (all.length === 0) throw new DataError(`${name}: the directory holds no data files (.jsonl, .json, .csv, .tsv, .parquet, optionally .gz)`);
  const chosen = selectSplitFiles(all, split);
  if (!chosen) {
    const found = splitsFound(all);
    throw new DataError(`${name}: no files for split "${split}"${found.length ? `; splits found: ${found.join(', ')}` : ''}`);
  }
  checkOneFormat(name, chosen);
  return chosen.map((file) => ({ path: join(path, ...file.split('/')), display: join(name, file) }));
}

function singleFile(path: string, name: string, split: string): DataFile {
  // a lone file is the train split; asking for another split is an error unless the file is named for it
  if (split !== 'train' && !selectSplitFiles([basename(path)], split)) {
    throw new DataError(`${name}: a single file is the "train" split; for split "${split}" name that split's file or a directory holding it`);
  }
  return { path, display: name };
}

async function dataFilesUnder(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile() || entry.isSymbolicLink())
    .map((entry) => relative(root, join(entry.parentPath, entry.name)).split(sep).join('/'))
    .filter((file) => !file.split('/').some((part) => part.startsWith('.')))
    .filter((file) => !METADATA_FILES.has(basename(file).toLowerCase()) && fileFormatOf(file) !== undefined)
    .sort();
}

function checkOneFormat(name: string, files: string[]): void {
  const formats = new Set(files.map((file) => fileFormatOf(file)!.format));
  if (formats.size > 1) {
    const examples = [...formats].map((format) => files.find((file) => fileFormatOf(file)!.format === format)).join(', ');
    throw new DataError(`${name}: the split's files mix formats (${examples}); shards must share one format`);
  }
}
