import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { flattenHparams, type HparamValue } from '../../training/metric-sink.js';
import { OutputLayout } from '../../training/output-layout.js';
import { UsageError } from '../exit-codes.js';
import { readJsonl, type BadLine } from './jsonl-file.js';

/** A metrics.jsonl row: its step and the logged values (numbers, or "NaN"/"Infinity" strings). */
export type MetricRecord = Readonly<Record<string, unknown>> & { readonly step: number };

export interface TextRecord {
  readonly step: number;
  readonly tag: string;
  readonly text: string;
}

/** One `tables/<tag>/step-<N>.jsonl` file. */
export interface TableLog {
  readonly tag: string;
  readonly step: number;
  readonly rows: ReadonlyArray<Readonly<Record<string, unknown>>>;
}

/** Everything `aligntune report` shows, read from a run's output directory (docs/outputs.md). */
export interface RunData {
  readonly dir: string;
  readonly metrics: readonly MetricRecord[];
  readonly texts: readonly TextRecord[];
  readonly tables: readonly TableLog[];
  /** The flattened config (`train.learning_rate`...), from config.resolved.yaml, else hparams.json. */
  readonly settings: Readonly<Record<string, HparamValue>>;
  readonly configYaml?: string;
  /** Lines and files that were skipped, as `file:line: why`. */
  readonly warnings: readonly string[];
}

/** The files a run directory is recognised by. */
const runFiles = (layout: OutputLayout) => [layout.metrics, layout.resolvedConfig, layout.hparams, layout.texts, layout.tables];
const TABLE_FILE = /^step-(\d+)\.jsonl$/;

/** Reads a run directory. `strict`: a corrupt line or file is an error (exit 2) instead of a skipped warning. */
export function readRunData(dir: string, options: { strict?: boolean } = {}): RunData {
  const layout = new OutputLayout(dir);
  checkRunDir(dir, layout);
  const warnings: string[] = [];
  const onBad: BadLine = (where, why) => {
    if (options.strict) throw new UsageError(`${where}: ${why}`);
    warnings.push(`${where}: ${why} (skipped)`);
  };
  const configYaml = readIfExists(layout.resolvedConfig);
  return {
    dir,
    metrics: readIfPresent(layout.metrics, (path) => readJsonl(path, metricRecord, onBad)) ?? [],
    texts: readIfPresent(layout.texts, (path) => readJsonl(path, textRecord, onBad)) ?? [],
    tables: readTables(layout.tables, onBad),
    settings: readSettings(layout, configYaml, onBad),
    configYaml,
    warnings,
  };
}

function checkRunDir(dir: string, layout: OutputLayout): void {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UsageError(`${dir}: no such directory`);
  const files = runFiles(layout);
  if (!files.some((path) => existsSync(path))) {
    throw new UsageError(`${dir} holds no run output (none of ${files.map((path) => basename(path)).join(', ')}); pass a run's logging.output_dir`);
  }
}

function readIfExists(path: string): string | undefined {
  return existsSync(path) ? readFileSync(path, 'utf8') : undefined;
}

function readIfPresent<T>(path: string, read: (path: string) => T): T | undefined {
  return existsSync(path) ? read(path) : undefined;
}

function metricRecord(value: Record<string, unknown>): MetricRecord | undefined {
  return typeof value.step === 'number' ? (value as MetricRecord) : undefined;
}

function textRecord(value: Record<string, unknown>): TextRecord | undefined {
  const { step, tag, text } = value;
  return typeof step === 'number' && typeof tag === 'string' && typeof text === 'string' ? { step, tag, text } : undefined;
}

/** Every `step-<N>.jsonl` under tables/, its tag being the directory path below tables/ (`completions`, `eval/tasks`). */
function readTables(root: string, onBad: BadLine, tag = ''): TableLog[] {
  if (!existsSync(root)) return [];
  return readdirSync(root, { withFileTypes: true })
    .flatMap((entry): TableLog[] => {
      const path = join(root, entry.name);
      if (entry.isDirectory()) return readTables(path, onBad, tag ? `${tag}/${entry.name}` : entry.name);
      const match = TABLE_FILE.exec(entry.name);
      return match && tag ? [{ tag, step: Number(match[1]), rows: readJsonl(path, (row) => row, onBad) }] : [];
    })
    .sort((a, b) => a.tag.localeCompare(b.tag) || a.step - b.step);
}

function readSettings(layout: OutputLayout, configYaml: string | undefined, onBad: BadLine): Record<string, HparamValue> {
  if (configYaml !== undefined) {
    const config = parseOr(() => parseYaml(configYaml) as unknown, layout.resolvedConfig, 'not valid YAML', onBad);
    if (isRecord(config)) return flattenHparams(config);
  }
  const hparamsText = readIfExists(layout.hparams);
  if (hparamsText === undefined) return {};
  const hparams = parseOr(() => (JSON.parse(hparamsText) as { hparams?: unknown }).hparams, layout.hparams, 'not valid JSON', onBad);
  return isRecord(hparams) ? flattenHparams(hparams) : {};
}

/** A whole-file parse; a failure is reported like a bad line (the report still shows the metrics). */
function parseOr(parse: () => unknown, path: string, why: string, onBad: BadLine): unknown {
  try {
    return parse();
  } catch (err) {
    onBad(path, `${why} (${(err as Error).message.split('\n')[0]})`);
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
