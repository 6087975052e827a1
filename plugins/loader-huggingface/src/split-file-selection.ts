import { DataError, fileFormatOf, globToRegExp, selectSplitFiles, splitsFound, type CardConfig } from '@aligntune/core/data';

/** What to select: the config (subset) and split, and where the result was found (for messages). */
export interface SelectionRequest {
  repo: string;
  subset?: string;
  split: string;
}

export interface Selection {
  config?: string;
  files: string[];
}

/** Files of a split as the dataset card's `configs:` declare them. */
export function selectFromCard(configs: readonly CardConfig[], paths: readonly string[], request: SelectionRequest): Selection {
  const config = chooseConfig(configs, request);
  const patterns = config.splits.get(request.split);
  if (!patterns) {
    throw new DataError(`${request.repo}: config "${config.name}" has no split "${request.split}"; splits: ${[...config.splits.keys()].join(', ')}`);
  }
  const regexes = patterns.map(globToRegExp);
  return { config: config.name, files: dataFiles(paths).filter((path) => regexes.some((re) => re.test(path))) };
}

function chooseConfig(configs: readonly CardConfig[], { repo, subset }: SelectionRequest): CardConfig {
  const names = configs.map((c) => c.name).join(', ');
  if (subset !== undefined) {
    const named = configs.find((c) => c.name === subset);
    if (!named) throw new DataError(`${repo}: no config "${subset}"; configs: ${names}`);
    return named;
  }
  const chosen = configs.find((c) => c.isDefault) ?? configs.find((c) => c.name === 'default') ?? (configs.length === 1 ? configs[0] : undefined);
  if (!chosen) throw new DataError(`${repo} has several configs (${names}); choose one with subset (e.g. ?subset=${configs[0]!.name})`);
  return chosen;
}

/**
 * Files of a split in the layout of the Hub's `refs/convert/parquet` branch: `<config>/<split>/NNNN.parquet`
 * (or `<config>/partial-<split>/` for datasets converted in part).
 */
export function selectConvertedParquet(paths: readonly string[], request: SelectionRequest): Selection | undefined {
  const layout = paths.filter((path) => /^[^/]+\/(partial-)?[^/]+\/[^/]+\.parquet$/.test(path));
  if (layout.length === 0) return undefined;
  const configs = [...new Set(layout.map((path) => path.split('/')[0]!))];
  const config = request.subset ?? (configs.length === 1 ? configs[0]! : configs.includes('default') ? 'default' : undefined);
  if (config === undefined) throw new DataError(`${request.repo} has several configs (${configs.join(', ')}); choose one with subset (e.g. ?subset=${configs[0]})`);
  const inSplit = (dir: string) => layout.filter((path) => path.startsWith(`${config}/${dir}/`));
  const files = inSplit(request.split).length > 0 ? inSplit(request.split) : inSplit(`partial-${request.split}`);
  if (files.length === 0) {
    const splits = [...new Set(layout.filter((p) => p.startsWith(`${config}/`)).map((p) => p.split('/')[1]!))];
    throw new DataError(`${request.repo}: no split "${request.split}" in config "${config}"; splits: ${splits.join(', ') || 'none'} (configs: ${configs.join(', ')})`);
  }
  return { config, files };
}

/**
 * Files of a split by their names, for repos without card configs (Anthropic/hh-rlhf: `<dir>/train.jsonl.gz`);
 * a subset selects a data directory, as `data_dir` does in Python.
 */
export function selectByName(paths: readonly string[], request: SelectionRequest): Selection {
  const prefix = request.subset ? `${request.subset.replace(/\/+$/, '')}/` : '';
  const candidates = dataFiles(paths).filter((path) => path.startsWith(prefix));
  if (candidates.length === 0) {
    const dirs = [...new Set(dataFiles(paths).filter((p) => p.includes('/')).map((p) => p.split('/')[0]!))];
    throw new DataError(`${request.repo}: no data files${prefix ? ` under "${prefix}"` : ''}${dirs.length ? `; data directories: ${dirs.join(', ')}` : ''}`);
  }
  const relative = candidates.map((path) => path.slice(prefix.length));
  const chosen = selectSplitFiles(relative, request.split);
  if (!chosen) {
    const found = splitsFound(relative);
    throw new DataError(`${request.repo}: no files for split "${request.split}"${found.length ? `; splits found: ${found.join(', ')}` : ''}`);
  }
  return { config: request.subset, files: chosen.map((path) => prefix + path) };
}

/** Paths of files this loader can read (README, .gitattributes and scripts are not data). */
export function dataFiles(paths: readonly string[]): string[] {
  return paths.filter((path) => fileFormatOf(path) !== undefined && !path.split('/').some((part) => part.startsWith('.')));
}
