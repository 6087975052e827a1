/** The metrics of one evaluated dataset. */
export interface DatasetEvaluation {
  readonly name: string;
  readonly task: string | null;
  /** Rows evaluated (after maxSamples). */
  readonly rows: number;
  readonly metrics: Record<string, number>;
}

export interface EvaluationResult {
  readonly datasets: DatasetEvaluation[];
}

/** `<dataset>/<metric>` → value, for metric sinks (a trainer logs them as `eval/<dataset>/<metric>`). */
export function flattenEvaluation(result: EvaluationResult): Record<string, number> {
  return Object.fromEntries(result.datasets.flatMap((d) => Object.entries(d.metrics).map(([metric, value]) => [`${d.name}/${metric}`, value])));
}

const HEADER = ['dataset', 'task', 'rows', 'metric', 'value'] as const;

/** One line per dataset and metric, columns padded to align (numbers right-aligned). */
export function formatTable(result: EvaluationResult): string {
  const lines = result.datasets.flatMap((d) => {
    const entries = Object.entries(d.metrics);
    if (entries.length === 0) return [[d.name, d.task ?? '-', String(d.rows), '(none)', '']];
    return entries.map(([metric, value]) => [d.name, d.task ?? '-', String(d.rows), metric, formatMetricValue(value)]);
  });
  const rows = [[...HEADER], ...lines];
  const widths = HEADER.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
  const rightAligned = new Set([2, 4]);
  return rows.map((row) => row.map((cell, c) => (rightAligned.has(c) ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join('  ').trimEnd()).join('\n') + '\n';
}

/** Four decimals, or scientific notation where those would hide the value. */
export function formatMetricValue(value: number): string {
  const magnitude = Math.abs(value);
  if (value !== 0 && (magnitude < 1e-3 || magnitude >= 1e6)) return value.toExponential(3);
  return value.toFixed(4);
}
