import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

export type MetricRow = Record<string, number>;

/** metrics.jsonl: one JSON object per logged step, appended and flushed line by line. */
export class MetricsLog {
  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
  }

  append(row: MetricRow): void {
    appendFileSync(this.path, `${JSON.stringify(row, (_key, value) => (typeof value === 'number' && !Number.isFinite(value) ? String(value) : value))}\n`);
  }
}

/**
 * Averages of per-step values over the steps since the last log (what HF's Trainer logs as `loss`). Its
 * state is saved in checkpoints, so a resumed run logs the same averages as an uninterrupted one.
 */
export class MetricWindow {
  sums: Record<string, number> = {};
  counts: Record<string, number> = {};

  add(values: MetricRow): void {
    for (const [key, value] of Object.entries(values)) {
      if (!Number.isFinite(value)) continue;
      this.sums[key] = (this.sums[key] ?? 0) + value;
      this.counts[key] = (this.counts[key] ?? 0) + 1;
    }
  }

  /** The means, and an empty window. */
  take(): MetricRow {
    const out: MetricRow = {};
    for (const key of Object.keys(this.sums)) out[key] = this.sums[key]! / this.counts[key]!;
    this.sums = {};
    this.counts = {};
    return out;
  }

  snapshot(): { sums: Record<string, number>; counts: Record<string, number> } {
    return { sums: { ...this.sums }, counts: { ...this.counts } };
  }

  restore(state: { sums: Record<string, number>; counts: Record<string, number> } | undefined): void {
    this.sums = { ...(state?.sums ?? {}) };
    this.counts = { ...(state?.counts ?? {}) };
  }
}

/** Weighted means (eval batches weigh by their rows or tokens). */
export function weightedMeans(rows: ReadonlyArray<{ values: MetricRow; weight: number }>): MetricRow {
  const sums: MetricRow = {};
  const weights: MetricRow = {};
  for (const { values, weight } of rows) {
    for (const [key, value] of Object.entries(values)) {
      if (!Number.isFinite(value)) continue;
      sums[key] = (sums[key] ?? 0) + value * weight;
      weights[key] = (weights[key] ?? 0) + weight;
    }
  }
  return Object.fromEntries(Object.keys(sums).map((key) => [key, sums[key]! / weights[key]!]));
}
