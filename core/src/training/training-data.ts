import type { UnifiedConfig } from '../config/unified-config.js';
import type { RecordKind } from '../data/canonical-record.js';
import { DataError } from '../data/data-error.js';
import type { DataLogger } from '../data/data-logger.js';
import type { Mixture } from '../data/mix-datasets.js';
import { prepareDatasets, type PreparedDataset } from '../data/prepare-datasets.js';
import { permutation } from '../data/shuffle.js';
import { TokenizedDataset } from '../data/tokenized-dataset.js';
import type { Kernel } from '../kernel/kernel.js';
import type { Tokenizer } from '../models/tokenizer.js';

export interface TrainingData {
  /** The training rows in mixture order (one table, whatever the number of datasets). */
  train: TokenizedDataset;
  /** Held-out rows: the datasets' eval_split, else `eval_fraction` of the training rows; absent when neither. */
  eval?: TokenizedDataset;
  /** Cache keys of the datasets used, for caches derived from them (reference log-probs). */
  cacheKeys: string[];
}

export interface LoadTrainingDataOptions {
  kernel: Kernel;
  tokenizer: Tokenizer;
  /** The record kinds the algorithm trains on; other rows are dropped with a warning. */
  kinds: readonly RecordKind[];
  baseDir?: string;
  logger?: DataLogger;
}

/** The run's tokenized train and eval tables (through the dataset cache), restricted to the kinds the algorithm uses. */
export async function loadTrainingData(config: UnifiedConfig, options: LoadTrainingDataOptions): Promise<TrainingData> {
  const common = { kernel: options.kernel, tokenizer: options.tokenizer, baseDir: options.baseDir, logger: options.logger };
  const train = await prepareDatasets(config, { ...common, which: 'train' });
  let rows = mergeRows(train.datasets, train.mixture, options);
  let evalRows: TokenizedDataset | undefined;
  const cacheKeys = train.datasets.map((d) => d.cacheKey);
  if (config.datasets.some((d) => d.eval_split)) {
    const evaluation = await prepareDatasets(config, { ...common, which: 'eval' });
    evalRows = mergeRows(evaluation.datasets, evaluation.mixture, options);
    for (const d of evaluation.datasets) cacheKeys.push(d.cacheKey);
  } else if (config.train.eval_fraction > 0) {
    ({ train: rows, eval: evalRows } = holdOut(rows, config.train.eval_fraction, config.train.seed));
  }
  if (rows.size === 0) throw new DataError(`no training rows of kind ${options.kinds.join(' or ')} in the datasets (this algorithm trains on ${options.kinds.join(' or ')} records: check the datasets' columns or schema adapter)`);
  return { train: rows, eval: evalRows && evalRows.size > 0 ? evalRows : undefined, cacheKeys };
}

/** The mixture's rows (of the wanted kinds), in mixture order, as one table: a view, no row is copied. */
export function mergeRows(datasets: readonly PreparedDataset[], mixture: Mixture, options: Pick<LoadTrainingDataOptions, 'kinds' | 'logger'>): TokenizedDataset {
  const tables = new Map(datasets.map((d) => [d.index, d.data]));
  const merged = TokenizedDataset.select(
    Array.from({ length: datasets.reduce((n, d) => Math.max(n, d.index + 1), 0) }, (_, i) => tables.get(i) ?? EMPTY),
    mixture.dataset,
    mixture.row,
  );
  // the common case, decided without reading a row: every table holds only wanted kinds
  if ([...merged.kinds()].every((kind) => options.kinds.includes(kind))) return merged;
  const kept = new Uint32Array(merged.size);
  let count = 0;
  for (let i = 0; i < merged.size; i++) if (options.kinds.includes(merged.kind(i))) kept[count++] = i;
  const dropped = merged.size - count;
  if (dropped === 0) return merged;
  options.logger?.warn(`${dropped} of ${merged.size} rows are not ${options.kinds.join('/')} rows and were left out`);
  return merged.select(kept.subarray(0, count));
}

const EMPTY = new TokenizedDataset({}, []);

/** A seeded `fraction` of the rows held out for evaluation (at least one, and never all), carved by index. */
export function holdOut(data: TokenizedDataset, fraction: number, seed: number): { train: TokenizedDataset; eval: TokenizedDataset } {
  const order = permutation(data.size, seed, 'eval-holdout');
  const count = Math.min(data.size - 1, Math.max(1, Math.round(data.size * fraction)));
  const held = new Uint8Array(data.size);
  for (let k = 0; k < count; k++) held[order[k]!] = 1;
  const train = new Uint32Array(data.size - count);
  const evaluation = new Uint32Array(count);
  for (let i = 0, t = 0, e = 0; i < data.size; i++) {
    if (held[i]) evaluation[e++] = i;
    else train[t++] = i;
  }
  return { train: data.select(train), eval: data.select(evaluation) };
}
