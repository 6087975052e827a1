import type { MetricRecord } from './run-data.js';

export type Point = readonly [step: number, value: number];

export interface Series {
  /** The metrics.jsonl key (`loss`, `eval/loss`). */
  readonly key: string;
  readonly points: readonly Point[];
  /** Evaluation series (`eval/` keys) are drawn dashed in the colour of their training counterpart. */
  readonly eval: boolean;
}

export interface ChartSpec {
  readonly id: string;
  readonly title: string;
  /** `main`: the families every run is judged by; `other`: one chart per remaining metric. */
  readonly group: 'main' | 'other';
  readonly series: readonly Series[];
}

interface Family {
  readonly id: string;
  readonly title: string;
  /** Tested on the key without its `eval/` prefix. */
  readonly match: (name: string) => boolean;
}

/** The main charts, in page order. A key joins the first family that matches it. */
const FAMILIES: readonly Family[] = [
  { id: 'loss', title: 'Loss', match: (name) => name === 'loss' },
  { id: 'reward', title: 'Reward', match: (name) => /reward/.test(name) || name === 'objective/scores' },
  { id: 'kl', title: 'KL divergence', match: (name) => name === 'kl' || name.endsWith('/kl') },
  { id: 'learning-rate', title: 'Learning rate', match: (name) => name === 'learning_rate' },
  { id: 'tokens-per-second', title: 'Tokens per second', match: (name) => name === 'tokens_per_second' },
  { id: 'grad-norm', title: 'Gradient norm', match: (name) => name === 'grad_norm' },
];

/** Keys that are axes, not metrics. */
const NOT_METRICS = new Set(['step', 'epoch']);

export const baseName = (key: string): string => key.replace(/^eval\//, '');

/** The charts of a run: the main families that have data, then one chart per other metric (train and eval together). */
export function buildCharts(rows: readonly MetricRecord[]): ChartSpec[] {
  const series = collectSeries(rows);
  const charts: ChartSpec[] = [];
  for (const family of FAMILIES) {
    const members = takeWhere(series, (s) => family.match(baseName(s.key)));
    if (members.length) charts.push({ id: family.id, title: family.title, group: 'main', series: members });
  }
  while (series.length) {
    const name = baseName(series[0]!.key);
    charts.push({ id: `metric-${name}`, title: name, group: 'other', series: takeWhere(series, (s) => baseName(s.key) === name) });
  }
  return charts;
}

/** Removes and returns the matching series, training series before evaluation ones. */
function takeWhere(series: Series[], match: (s: Series) => boolean): Series[] {
  const taken = series.filter(match);
  for (const s of taken) series.splice(series.indexOf(s), 1);
  return [...taken.filter((s) => !s.eval), ...taken.filter((s) => s.eval)];
}

/** One series per key, in first-logged order; non-finite values ("NaN", "Infinity") are left out. */
function collectSeries(rows: readonly MetricRecord[]): Series[] {
  const points = new Map<string, Point[]>();
  for (const row of rows) {
    for (const [key, value] of Object.entries(row)) {
      if (NOT_METRICS.has(key) || typeof value !== 'number' || !Number.isFinite(value)) continue;
      const list = points.get(key) ?? [];
      list.push([row.step, value]);
      points.set(key, list);
    }
  }
  return [...points].map(([key, list]) => ({ key, points: list, eval: key.startsWith('eval/') }));
}
