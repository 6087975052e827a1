import type { HparamValue } from '../../training/metric-sink.js';
import type { MetricRecord } from './run-data.js';

export type Point = readonly [step: number, value: number];

export interface Series {
  /** The metrics.jsonl key (`loss`, `eval/loss`). */
  readonly key: string;
  /** Other keys with the same values (GRPO's `reward` and `rewards/math/mean` with one reward): drawn once, named together. */
  readonly sameAs: readonly string[];
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
  /** The value axis reaches down to 0 (a learning rate warmed up from 0). */
  readonly fromZero: boolean;
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

/** All the names a series is logged under, its own first. */
export const seriesNames = (series: Series): string[] => [series.key, ...series.sameAs];

/**
 * The charts of a run: the main families that have data, then one chart per other metric (train and eval
 * together). `settings` (the flattened config) tells whether the learning rate was warmed up from 0.
 */
export function buildCharts(rows: readonly MetricRecord[], settings: Readonly<Record<string, HparamValue>> = {}): ChartSpec[] {
  const series = collectSeries(rows);
  const charts: ChartSpec[] = [];
  for (const family of FAMILIES) {
    const members = mergeIdentical(takeWhere(series, (s) => family.match(baseName(s.key))));
    if (!members.length) continue;
    const fromZero = family.id === 'learning-rate' && warmsUpFromZero(settings);
    charts.push({ id: family.id, title: family.title, group: 'main', series: members, fromZero });
  }
  while (series.length) {
    const name = baseName(series[0]!.key);
    charts.push({ id: `metric-${name}`, title: name, group: 'other', series: mergeIdentical(takeWhere(series, (s) => baseName(s.key) === name)), fromZero: false });
  }
  return charts;
}

/** Hugging Face's schedules with warmup (every one aligntune has) start at lr 0 and ramp up. */
function warmsUpFromZero(settings: Readonly<Record<string, HparamValue>>): boolean {
  return Number(settings['train.warmup_steps'] ?? 0) > 0 || Number(settings['train.warmup_ratio'] ?? 0) > 0;
}

/** A series whose points equal an earlier one's is folded into it: one line would hide the other exactly. */
function mergeIdentical(series: readonly Series[]): Series[] {
  const kept: Array<Series & { sameAs: string[] }> = [];
  for (const s of series) {
    const twin = kept.find((k) => k.eval === s.eval && samePoints(k.points, s.points));
    if (twin) twin.sameAs.push(s.key);
    else kept.push({ ...s, sameAs: [] });
  }
  return kept;
}

/** Same steps and the same values to float rounding (two aggregations of one number may differ in the last bit). */
function samePoints(a: readonly Point[], b: readonly Point[]): boolean {
  const close = (x: number, y: number) => Math.abs(x - y) <= 1e-9 * Math.max(Math.abs(x), Math.abs(y));
  return a.length === b.length && a.every((p, i) => p[0] === b[i]![0] && close(p[1], b[i]![1]));
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
  return [...points].map(([key, list]) => ({ key, sameAs: [], points: list, eval: key.startsWith('eval/') }));
}
