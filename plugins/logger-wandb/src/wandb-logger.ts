import { resolve } from 'node:path';
import { MetricLogger } from '@aligntune/core/kernel';
import {
  type HparamValue,
  type MetricTable,
  type OfflineSyncSink,
  type RunInfo,
  type SinkLogger,
} from '@aligntune/core/training';
import { LiveRun } from './live-run.js';
import { syncRunDir } from './sync-run.js';
import { settingsFromEnv } from './wandb-settings.js';

/**
 * `logging.loggers: [wandb]`: Weights & Biases through its HTTP API, configured by the WANDB_* environment
 * variables (never the config file: it is saved with the run and must not hold the key). See docs/observability.md.
 */
@MetricLogger('wandb', { description: 'Weights & Biases over its HTTP API (WANDB_* variables); offline runs upload later with `aligntune wandb sync DIR`' })
export class WandbLogger implements OfflineSyncSink {
  private run?: LiveRun;

  async open(run: RunInfo, logger?: SinkLogger): Promise<void> {
    const settings = settingsFromEnv();
    if (settings.mode !== 'disabled') this.run = new LiveRun(run, settings, logger);
  }

  logScalars(step: number, values: Readonly<Record<string, number>>): void {
    this.run?.log(step, values);
  }

  logText(step: number, tag: string, text: string): void {
    this.run?.log(step, { [tag]: text });
  }

  logTable(step: number, tag: string, table: MetricTable): void {
    this.run?.logTable(step, tag, table);
  }

  logHparams(hparams: Readonly<Record<string, HparamValue>>, metrics?: Readonly<Record<string, number>>): void {
    this.run?.logHparams(hparams, metrics);
  }

  async flush(): Promise<void> {
    await this.run?.flush();
  }

  async close(): Promise<void> {
    const run = this.run;
    this.run = undefined;
    await run?.close();
  }

  syncOffline(dir: string, logger?: SinkLogger): Promise<{ uploaded: number; runId: string; url: string }> {
    return syncRunDir(resolve(dir), settingsFromEnv(), logger);
  }
}
