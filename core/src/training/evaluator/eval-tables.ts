import { ConfigValidationError } from '../../config/config-validation-error.js';
import type { UnifiedConfig } from '../../config/unified-config.js';
import type { RecordKind } from '../../data/canonical-record.js';
import type { DataLogger } from '../../data/data-logger.js';
import { prepareDatasets } from '../../data/prepare-datasets.js';
import type { TokenizedDataset } from '../../data/tokenized-dataset.js';
import type { Kernel } from '../../kernel/kernel.js';
import type { Tokenizer } from '../../models/tokenizer.js';
import { loadTrainingData } from '../training-data.js';

/** One evaluated dataset: rows of a tokenized table (indices, so tables can be shared) and its task. */
export interface EvalTable {
  /** How results name it: `<dataset>:<eval split>`, or the task id for held-out rows grouped by task. */
  readonly name: string;
  /** The task_type whose metrics apply; none for datasets without one. */
  readonly task?: string;
  readonly data: TokenizedDataset;
  readonly rows: readonly number[];
}

export interface LoadEvalTablesOptions {
  kernel: Kernel;
  tokenizer: Tokenizer;
  baseDir?: string;
  logger?: DataLogger;
}

const ALL_KINDS: readonly RecordKind[] = ['preference', 'completion', 'prompt'];

/**
 * The eval rows of a run config: each dataset's `eval_split` as its own table; without any eval_split, the
 * `train.eval_fraction` held out of the training mixture (as a trainer holds it out), grouped by task.
 */
export async function loadEvalTables(config: UnifiedConfig, options: LoadEvalTablesOptions): Promise<EvalTable[]> {
  if (config.datasets.some((ds) => ds.eval_split)) {
    const { datasets } = await prepareDatasets(config, { ...options, which: 'eval' });
    return datasets.map((d) => ({ name: `${d.config.name}:${d.config.split}`, task: d.config.task_type, data: d.data, rows: allRows(d.data) }));
  }
  if (config.train.eval_fraction > 0) {
    const { eval: heldOut } = await loadTrainingData(config, { ...options, kinds: ALL_KINDS });
    return heldOut ? evalTablesByTask(heldOut) : [];
  }
  throw new ConfigValidationError([{ path: 'datasets', message: 'nothing to evaluate: set eval_split on a dataset (or train.eval_fraction above 0)' }]);
}

/** A merged table (a trainer's eval split) as one EvalTable per task_type, named by the task (`name` for rows without one). */
export function evalTablesByTask(data: TokenizedDataset, name = 'eval'): EvalTable[] {
  const groups = new Map<string | undefined, number[]>();
  for (let i = 0; i < data.size; i++) {
    const taskType = data.row(i).task_type;
    const rows = groups.get(taskType) ?? [];
    rows.push(i);
    groups.set(taskType, rows);
  }
  return [...groups].map(([task, rows]) => ({ name: task ?? name, task, data, rows }));
}

function allRows(data: TokenizedDataset): number[] {
  return Array.from({ length: data.size }, (_, i) => i);
}
