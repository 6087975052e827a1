import { datasetRowLimit, type DatasetConfig } from '../config/dataset-config.js';
import type { AdapterCatalog } from './adapter-catalog.js';
import { describeMalformed, describeSkips, newAdaptReport, noteMalformed, noteSkip, type AdaptReport } from './adapt-report.js';
import type { CanonicalRecord } from './canonical-record.js';
import { applyColumnMapping } from './column-mapping.js';
import { DataError } from './data-error.js';
import type { DataLogger } from './data-logger.js';
import type { RecordAdapter } from './record-adapter.js';
import type { SplitSource } from './record-source.js';
import { columnList } from './row.js';
import type { TaskDefinition } from './task-definition.js';

export interface ReadRecordsOptions {
  /** Index of the dataset in `datasets:` (recorded in each record's meta). */
  index: number;
  adapters: AdapterCatalog;
  /** The task of `ds.task_type`, whose prompt formatting is applied. */
  task?: TaskDefinition;
  logger?: DataLogger;
}

export interface DatasetRecords {
  records: CanonicalRecord[];
  report: AdaptReport;
}

/**
 * One dataset's canonical records: the first rows the spec selects (`percent`, then `max_samples`), with
 * `column_mapping` applied, through the schema adapter (given or detected from the first row), then the
 * task's prompt formatting. Rows that do not fit are counted and reported; a dataset where none fits is an
 * error naming the columns found and expected.
 */
export async function readDatasetRecords(split: SplitSource, ds: DatasetConfig, options: ReadRecordsOptions): Promise<DatasetRecords> {
  const records: CanonicalRecord[] = [];
  const report = newAdaptReport(split.description);
  for await (const chunk of streamDatasetRecords(split, ds, options, report)) for (const record of chunk) records.push(record);
  return { records, report };
}

/** Records per chunk when streaming: enough to amortise a worker round trip, small next to any memory budget. */
export const RECORD_CHUNK = 1024;

/**
 * readDatasetRecords as a stream of chunks of records, in file order, so a dataset of any size passes through
 * in bounded memory; `report` is complete (and checked) when the stream ends.
 */
export async function* streamDatasetRecords(split: SplitSource, ds: DatasetConfig, options: ReadRecordsOptions & { chunkRows?: number }, report = newAdaptReport(split.description)): AsyncGenerator<CanonicalRecord[]> {
  const limit = await rowLimit(split, ds);
  const chunkRows = options.chunkRows ?? RECORD_CHUNK;
  let chunk: CanonicalRecord[] = [];
  let adapter: RecordAdapter | undefined;
  let firstColumns = '';
  const onBadRow = ds.on_bad_rows === 'skip' ? (error: Error) => noteMalformed(report, error) : undefined;
  for await (const { values, origin } of split.rows({ onBadRow })) {
    if (report.read >= limit) break;
    report.read += 1;
    const row = applyColumnMapping(values, ds.column_mapping, origin);
    if (!adapter) {
      const chosen = await options.adapters.choose(ds.adapter, row, split.description);
      ({ adapter } = chosen);
      report.adapter = chosen.id;
      firstColumns = columnList(row);
    }
    const result = adapter.adapt(row);
    if (result.skip !== undefined) noteSkip(report, origin, result.skip);
    else {
      report.adapted += 1;
      chunk.push(finish(result.record, { dataset: options.index, task_type: ds.task_type, origin }, options.task));
      if (chunk.length >= chunkRows) {
        yield chunk;
        chunk = [];
      }
    }
  }
  check(report, adapter, firstColumns, options.logger);
  if (chunk.length > 0) yield chunk;
}

async function rowLimit(split: SplitSource, ds: DatasetConfig): Promise<number> {
  if (ds.percent == null) return ds.max_samples ?? Infinity;
  const total = (await split.countRows()) ?? (await countRows(split, ds));
  return datasetRowLimit(total, ds);
}

async function countRows(split: SplitSource, ds: DatasetConfig): Promise<number> {
  let total = 0;
  // malformed rows to be skipped are not rows: the main pass reports them
  for await (const _ of split.rows({ onBadRow: ds.on_bad_rows === 'skip' ? () => undefined : undefined })) total += 1;
  return total;
}

function finish(record: CanonicalRecord, meta: NonNullable<CanonicalRecord['meta']>, task?: TaskDefinition): CanonicalRecord {
  const withMeta = { ...record, meta };
  return task ? { ...withMeta, prompt: task.formatPrompt(withMeta) } : withMeta;
}

function check(report: AdaptReport, adapter: RecordAdapter | undefined, columns: string, logger?: DataLogger): void {
  if (report.read === 0) throw new DataError(`${report.dataset}: no rows selected (the split is empty, or percent/max_samples select none)`);
  if (report.adapted === 0) {
    const expected = [...(adapter?.requiredColumns ?? []), ...(adapter?.optionalColumns ?? []).map((c) => `${c}?`)].join(', ');
    throw new DataError(
      `${report.dataset}: none of ${report.read} rows fit adapter "${report.adapter}" (columns found: ${columns}; expected: ${expected}). ` +
        `First problems: ${report.examples.map((e) => `${e.origin}: ${e.reason}`).join('; ')}`,
    );
  }
  if (report.skipped > 0) logger?.warn(describeSkips(report));
  if (report.malformed > 0) logger?.warn(describeMalformed(report));
}
