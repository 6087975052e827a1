import { formatOrigin, type RowOrigin } from './row.js';

const EXAMPLES_KEPT = 5;

/** What happened to a dataset's rows: read, adapted, and the rows that did not fit (with the first few). */
export interface AdaptReport {
  dataset: string;
  adapter: string;
  read: number;
  adapted: number;
  skipped: number;
  /** The first few rows that did not fit and why. */
  examples: Array<{ origin: string; reason: string }>;
  /** Malformed rows left out (`on_bad_rows: skip`), and the first few errors (each naming file and line). */
  malformed: number;
  malformedExamples: string[];
}

export function newAdaptReport(dataset: string): AdaptReport {
  return { dataset, adapter: '', read: 0, adapted: 0, skipped: 0, examples: [], malformed: 0, malformedExamples: [] };
}

export function noteSkip(report: AdaptReport, origin: RowOrigin, reason: string): void {
  report.skipped += 1;
  if (report.examples.length < EXAMPLES_KEPT) report.examples.push({ origin: formatOrigin(origin), reason });
}

export function noteMalformed(report: AdaptReport, error: Error): void {
  report.malformed += 1;
  if (report.malformedExamples.length < EXAMPLES_KEPT) report.malformedExamples.push(error.message);
}

/** `2 malformed rows of data.jsonl were skipped (on_bad_rows: skip): data.jsonl:7: invalid JSON: ...; ...` */
export function describeMalformed(report: AdaptReport): string {
  const more = report.malformed > report.malformedExamples.length ? `; ... (${report.malformed - report.malformedExamples.length} more)` : '';
  return `${report.malformed} malformed row${report.malformed === 1 ? '' : 's'} of ${report.dataset} ${report.malformed === 1 ? 'was' : 'were'} skipped (on_bad_rows: skip): ${report.malformedExamples.join('; ')}${more}`;
}

/** `3 of 100 rows of data.jsonl did not fit adapter "chat" and were skipped: data.jsonl:4: ...; ...` */
export function describeSkips(report: AdaptReport): string {
  const shown = report.examples.map((e) => `${e.origin}: ${e.reason}`).join('; ');
  const more = report.skipped > report.examples.length ? `; ... (${report.skipped - report.examples.length} more)` : '';
  return `${report.skipped} of ${report.read} rows of ${report.dataset} did not fit adapter "${report.adapter}" and were skipped: ${shown}${more}`;
}
