import {
  Describe,
  Examples,
  NonEmptyStr,
  NonNegativeNumber,
  NumberRange,
  OneOf,
  Optional,
  PositiveInt,
  StrRecord,
} from './field-rules.js';
import { TASK_EXAMPLES } from './task-config.js';

export const BAD_ROW_POLICIES = ['error', 'skip'] as const;
export type BadRowPolicy = (typeof BAD_ROW_POLICIES)[number];

/** One entry of `datasets:`. */
export class DatasetConfig {
  @Describe('Hugging Face Hub id (e.g. "Anthropic/hh-rlhf") or a local file/directory (required).')
  @NonEmptyStr()
  name!: string;

  @Describe('Split to train on. Default "train".')
  @NonEmptyStr()
  split = 'train';

  @Describe('Use the first N percent of the rows, 0 < N <= 100 (row count rounded up). Default: all rows.')
  @Optional()
  @NumberRange(0, 100, { minExclusive: true })
  percent?: number;

  @Describe('Use at most this many rows (applied after percent). Default: no limit.')
  @Optional()
  @PositiveInt()
  max_samples?: number;

  @Describe('Renames columns: {new_name: source_column}, e.g. {prompt: question}. Default {}.')
  @StrRecord()
  column_mapping: Record<string, string> = {};

  @Describe('Task this dataset serves (a task id, e.g. "math"). Default: none.')
  @Optional()
  @Examples(TASK_EXAMPLES)
  @NonEmptyStr()
  task_type?: string;

  @Describe('Sampling weight when mixing datasets. Default 1.')
  @NonNegativeNumber()
  weight = 1;

  @Describe('Chat template for this dataset; overrides the top-level chat_template.')
  @Optional()
  @NonEmptyStr()
  chat_template?: string;

  @Describe('Dataset loader id; default: "local" when name is a path, else "huggingface".')
  @Optional()
  @Examples(['huggingface', 'local'])
  @NonEmptyStr()
  loader?: string;

  @Describe('Schema adapter id (chat, hh-rlhf, ultrafeedback, alpaca...); default: detected from the columns.')
  @Optional()
  @Examples(['chat', 'hh-rlhf', 'ultrafeedback', 'alpaca'])
  @NonEmptyStr()
  adapter?: string;

  @Describe('Hugging Face dataset config ("subset"), e.g. "main" for gsm8k. Default: the dataset default.')
  @Optional()
  @NonEmptyStr()
  subset?: string;

  @Describe('Hub revision (branch, tag or commit). Default: the main branch.')
  @Optional()
  @NonEmptyStr()
  revision?: string;

  @Describe('What a malformed row (a line that is not a JSON object, a CSV record with the wrong field count) does: "error" (default) stops with exit code 2 naming the file and line; "skip" leaves it out, counted and reported with the first few lines.')
  @OneOf(BAD_ROW_POLICIES)
  on_bad_rows: BadRowPolicy = 'error';

  @Describe('Split used for evaluation, e.g. "test". Default: none.')
  @Optional()
  @NonEmptyStr()
  eval_split?: string;
}

/**
 * How many rows a dataset config selects from a split of `total` rows: the first ceil(total * percent / 100)
 * (rounded up so a small percent of a small dataset is never empty), then at most max_samples.
 */
export function datasetRowLimit(total: number, ds: Pick<DatasetConfig, 'percent' | 'max_samples'>): number {
  let rows = total;
  // the epsilon keeps float noise (e.g. 0.29 * 100 = 28.999999999999996) from changing the row count
  if (ds.percent != null) rows = Math.min(total, Math.max(0, Math.ceil((total * ds.percent) / 100 - 1e-9)));
  if (ds.max_samples != null) rows = Math.min(rows, ds.max_samples);
  return rows;
}
