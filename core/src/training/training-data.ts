import type { UnifiedConfig } from '../config/unified-config.js';
import type { RecordKind } from '../data/canonical-record.js';
import { DataError } from '../data/data-error.js';
import type { DataLogger } from '../data/data-logger.js';
import type { MixEntry } from '../data/mix-datasets.js';
import { prepareDatasets, type PreparedDataset } from '../data/prepare-datasets.js';
import { packRagged } from '../data/ragged.js';
import { permutation } from '../data/shuffle.js';
import { TOKEN_COLUMNS, TokenizedDataset } from '../data/tokenized-dataset.js';
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
    cacheKeys.push(...evaluation.datasets.map((d) => d.cacheKey));
  } else if (config.train.eval_fraction > 0) {
    ({ train: rows, eval: evalRows } = holdOut(rows, config.train.eval_fraction, config.train.seed));
  }
  if (rows.size === 0) throw new DataError(`no training rows of kind ${options.kinds.join(' or ')} in the datasets (this algorithm trains on ${options.kinds.join(' or ')} records: check the datasets' columns or schema adapter)`);
  return { train: rows, eval: evalRows && evalRows.size > 0 ? evalRows : undefined, cacheKeys };
}

/** One table of the mixture's rows (of the wanted kinds), in mixture order. */
export function mergeRows(datasets: readonly PreparedDataset[], mixture: readonly MixEntry[], options: Pick<LoadTrainingDataOptions, 'kinds' | 'logger'>): TokenizedDataset {
  const byIndex = new Map(datasets.map((d) => [d.index, d.data]));
  const picked = mixture.map((e) => ({ data: byIndex.get(e.dataset)!, row: e.row })).filter(({ data, row }) => options.kinds.includes(data.rows[row]!.kind));
  const dropped = mixture.length - picked.length;
  if (dropped > 0) options.logger?.warn(`${dropped} of ${mixture.length} rows are not ${options.kinds.join('/')} rows and were left out`);
  return selectRows(picked);
}

function selectRows(picked: ReadonlyArray<{ data: TokenizedDataset; row: number }>): TokenizedDataset {
  const columns: TokenizedDataset['columns'] = {};
  for (const column of TOKEN_COLUMNS) columns[column] = packRagged(picked.map(({ data, row }) => data.tokens(column, row)));
  return new TokenizedDataset(columns, picked.map(({ data, row }) => data.rows[row]!));
}

/** A seeded `fraction` of the rows held out for evaluation (at least one, and never all). */
export function holdOut(data: TokenizedDataset, fraction: number, seed: number): { train: TokenizedDataset; eval: TokenizedDataset } {
  const order = permutation(data.size, seed, 'eval-holdout');
  const count = Math.min(data.size - 1, Math.max(1, Math.round(data.size * fraction)));
  const evalSet = new Set(order.slice(0, count));
  const rows = (keep: (i: number) => boolean) => selectRows(Array.from({ length: data.size }, (_, row) => row).filter(keep).map((row) => ({ data, row })));
  return { train: rows((i) => !evalSet.has(i)), eval: rows((i) => evalSet.has(i)) };
}
