import { join } from 'node:path';
import { MetricLogger } from '@aligntune/core/kernel';
import { type HparamValue, type MetricSink, type MetricTable, type RunInfo } from '@aligntune/core/training';
import { EventFile } from './event-file.js';
import { fileVersionEvent, hparamsValue, scalarValue, sessionStartEvent, summaryEvent, textValue } from './events.js';
import { markdownTable } from './markdown-table.js';
import type { ProtoWriter } from './proto-writer.js';

/**
 * TensorBoard event files under `<output_dir>/runs/<run name>/`: scalars, texts, tables (as markdown text)
 * and hparams. A resumed run opens a new file in the same directory; TensorBoard reads a run's files in
 * name order, which is creation order.
 */
@MetricLogger('tensorboard', { description: 'TensorBoard event files under <output_dir>/runs/<run name>/' })
export class TensorBoardLogger implements MetricSink {
  private file?: EventFile;
  private startTime = 0;
  /** The last step logged, where logHparams' metrics land. */
  private lastStep = 0;

  async open(run: RunInfo): Promise<void> {
    const now = new Date();
    this.startTime = now.getTime() / 1000;
    this.lastStep = run.startStep;
    this.file = await EventFile.create(join(run.outputDir, 'runs', run.runName), now);
    this.file.append(() => fileVersionEvent(this.startTime));
    if (run.resumed) this.file.append(() => sessionStartEvent(this.startTime, run.startStep + 1));
  }

  logScalars(step: number, values: Readonly<Record<string, number>>): void {
    this.lastStep = step;
    this.summary(step, () => Object.entries(values).map(([tag, value]) => scalarValue(tag, value)));
  }

  logText(step: number, tag: string, text: string): void {
    this.summary(step, () => [textValue(tag, text)]);
  }

  logTable(step: number, tag: string, table: MetricTable): void {
    this.summary(step, () => [textValue(tag, markdownTable(table))]);
  }

  logHparams(hparams: Readonly<Record<string, HparamValue>>, metrics?: Readonly<Record<string, number>>): void {
    this.summary(0, () => [hparamsValue(hparams, this.startTime)]);
    // the hparams dashboard takes every scalar tag of the run as a metric column, showing its last value
    if (metrics && Object.keys(metrics).length) this.logScalars(this.lastStep, metrics);
  }

  async flush(): Promise<void> {
    await this.opened().flush();
  }

  async close(): Promise<void> {
    await this.opened().close();
  }

  private summary(step: number, values: () => ProtoWriter[]): void {
    this.file?.append(() => summaryEvent(Date.now() / 1000, step, values()));
  }

  private opened(): EventFile {
    if (!this.file) throw new Error('tensorboard: no event file (open() was not called or failed)');
    return this.file;
  }
}
