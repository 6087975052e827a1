import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Kernel } from '../kernel/kernel.js';
import { ExtensionPoints } from './extension-points.js';
import type { MetricRow } from './metrics-log.js';
import { MetricsLog } from './metrics-log.js';
import { OutputLayout } from './output-layout.js';
import type { HparamValue, MetricSink, MetricTable, RunInfo, SinkLogger } from './metric-sink.js';

/**
 * The run's own files, always on: scalars to `metrics.jsonl`, texts to `texts.jsonl`, each logged table to
 * `tables/<tag>/step-<N>.jsonl` (one JSON object per row), hparams to `hparams.json`. `aligntune report` reads them.
 */
export class JsonlSink implements MetricSink {
  private readonly metrics: MetricsLog;

  constructor(private readonly layout: OutputLayout) {
    this.metrics = new MetricsLog(layout.metrics);
  }

  async open(): Promise<void> {}

  logScalars(step: number, values: Readonly<Record<string, number>>): void {
    this.metrics.append({ step, ...values });
  }

  logText(step: number, tag: string, text: string): void {
    appendFileSync(this.layout.texts, `${JSON.stringify({ step, tag, text })}\n`);
  }

  logTable(step: number, tag: string, table: MetricTable): void {
    const file = this.layout.table(tag, step);
    mkdirSync(dirname(file), { recursive: true });
    const lines = table.rows.map((row) => JSON.stringify({ step, ...Object.fromEntries(table.columns.map((c, i) => [c, row[i] ?? null])) }));
    writeFileSync(file, lines.length ? `${lines.join('\n')}\n` : '');
  }

  logHparams(hparams: Readonly<Record<string, HparamValue>>, metrics?: Readonly<Record<string, number>>): void {
    writeFileSync(this.layout.hparams, `${JSON.stringify({ hparams, metrics: metrics ?? {} }, null, 2)}\n`);
  }

  async flush(): Promise<void> {}
  async close(): Promise<void> {}
}

/**
 * The JSONL sink plus the `logging.loggers` plugins, behind the one contract. A plugin sink that throws is
 * reported once per call kind and otherwise ignored: a logger must never stop training.
 */
export class MetricSinks {
  private readonly warned = new Set<string>();

  private constructor(
    private readonly sinks: ReadonlyArray<{ id: string; sink: MetricSink }>,
    private readonly logger?: SinkLogger,
  ) {}

  /** Creates and opens the sinks; only rank 0 should log, so other ranks get `MetricSinks.silent()`. */
  static async open(kernel: Kernel, ids: readonly string[], run: RunInfo, logger?: SinkLogger): Promise<MetricSinks> {
    const sinks: Array<{ id: string; sink: MetricSink }> = [{ id: 'jsonl', sink: new JsonlSink(new OutputLayout(run.outputDir)) }];
    for (const id of ids) sinks.push({ id, sink: await kernel.create(ExtensionPoints.metricLogger, id) });
    const all = new MetricSinks(sinks, logger);
    for (const { id, sink } of sinks) await all.guardAsync(id, 'open', () => sink.open(run, logger));
    return all;
  }

  static silent(): MetricSinks {
    return new MetricSinks([]);
  }

  /** `row` as metrics.jsonl holds it: its `step` is the step, everything else a scalar. */
  logRow(row: MetricRow): void {
    const { step, ...values } = row;
    this.each('logScalars', (s) => s.logScalars(step!, values));
  }

  logText(step: number, tag: string, text: string): void {
    this.each('logText', (s) => s.logText(step, tag, text));
  }

  logTable(step: number, tag: string, table: MetricTable): void {
    this.each('logTable', (s) => s.logTable(step, tag, table));
  }

  logHparams(hparams: Readonly<Record<string, HparamValue>>, metrics?: Readonly<Record<string, number>>): void {
    this.each('logHparams', (s) => s.logHparams(hparams, metrics));
  }

  async flush(): Promise<void> {
    for (const { id, sink } of this.sinks) await this.guardAsync(id, 'flush', () => sink.flush());
  }

  async close(): Promise<void> {
    for (const { id, sink } of this.sinks) await this.guardAsync(id, 'close', () => sink.close());
  }

  private each(call: string, fn: (sink: MetricSink) => void): void {
    for (const { id, sink } of this.sinks) {
      try {
        fn(sink);
      } catch (err) {
        if (id === 'jsonl') throw err; // the run's own files failing is a real error (disk full...)
        this.warnOnce(id, call, err);
      }
    }
  }

  private async guardAsync(id: string, call: string, fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      if (id === 'jsonl') throw err;
      this.warnOnce(id, call, err);
    }
  }

  private warnOnce(id: string, call: string, err: unknown): void {
    const key = `${id}.${call}`;
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.logger?.warn(`metric logger '${id}' failed in ${call} (training continues): ${err instanceof Error ? err.message : String(err)}`);
  }
}
