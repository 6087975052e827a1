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
}

export function newAdaptReport(dataset: string): AdaptReport {
  return { dataset, adapter: '', read: 0, adapted: 0, skipped: 0, examples: [] };
}

export function noteSkip(report: AdaptReport, origin: RowOrigin, reason: string): void {
  report.skipped += 1;
  if (report.examples.length < EXAMPLES_KEPT) report.examples.push({ origin: formatOrigin(origin), reason });
}

/** `3 of 100 rows of data.jsonl did not fit adapter "chat" and were skipped: data.jsonl:4: ...; ...` */
export function describeSkips(report: AdaptReport): string {
  const shown = report.examples.map((e) => `${e.origin}: ${e.reason}`).join('; ');
  const more = report.skipped > report.examples.length ? `; ... (${report.skipped - report.examples.length} more)` : '';
  return `${report.skipped} of ${report.read} rows of ${report.dataset} did not fit adapter "${report.adapter}" and were skipped: ${shown}${more}`;
}
