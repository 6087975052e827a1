import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { flattenHparams, type HparamValue, type MetricTable, type RunInfo, type SinkLogger } from '@aligntune/core/training';
import { BackgroundSender } from './background-sender.js';
import { HistoryRows } from './history-rows.js';
import { LocalRun } from './local-run.js';
import { resolveRunId } from './run-id.js';
import { RunUploader, runUrl } from './run-uploader.js';
import { tableFile } from './table-file.js';
import { WandbApi } from './wandb-api.js';
import type { WandbSettings } from './wandb-settings.js';

/**
 * One logging session of a W&B run: everything is written to the local run directory as it is logged, and
 * online a background sender uploads it. Offline (WANDB_MODE=offline, or no API key) nothing touches the network.
 */
export class LiveRun {
  private readonly local: LocalRun;
  private readonly rows: HistoryRows;
  private readonly sender?: BackgroundSender;

  constructor(
    private readonly info: RunInfo,
    private readonly settings: WandbSettings,
    private readonly logger?: SinkLogger,
  ) {
    // Falling back to offline keeps the run's data for a later sync instead of losing it to a missing variable.
    const online = settings.mode === 'online' && settings.apiKey !== undefined;
    this.local = openLocalRun(info, settings, online ? 'online' : 'offline');
    this.local.setConfig(wandbConfig(info.config));
    this.rows = new HistoryRows(this.local, () => this.sender?.notify());
    if (online) this.sender = startSender(this.local, settings, logger);
    else if (settings.mode === 'online') logger?.warn(`WANDB_API_KEY is not set: logging this W&B run offline to ${this.local.dir}; upload it later with \`aligntune wandb sync ${this.local.dir}\``);
  }

  log(step: number, values: Readonly<Record<string, unknown>>): void {
    this.rows.add(step, values);
  }

  logTable(step: number, tag: string, table: MetricTable): void {
    const file = tableFile(tag, step, table);
    this.local.writeMedia(file.path, file.bytes);
    this.rows.add(step, { [tag]: file.value });
  }

  /** The config went up at open; hparams it does not hold join it, and the judged metrics join the summary. */
  logHparams(hparams: Readonly<Record<string, HparamValue>>, metrics?: Readonly<Record<string, number>>): void {
    const known = flattenHparams(this.info.config);
    const extra = Object.entries(hparams).filter(([key, value]) => known[key] !== value);
    if (extra.length > 0) this.local.setConfig({ ...this.local.config, ...wandbConfig(Object.fromEntries(extra)) });
    if (metrics) this.local.mergeSummary(metrics);
    this.sender?.notify();
  }

  async flush(): Promise<void> {
    this.rows.commit();
    await this.sender?.settle(this.settings.tuning.waitMs, false);
  }

  /** Sends what it can within `waitMs`; what is left stays in the run directory, with a warning saying how to upload it. */
  async close(): Promise<void> {
    this.rows.commit();
    Object.assign(this.local.meta, { finished: true, runtime: this.rows.runtime() });
    this.local.saveMeta();
    const { dir } = this.local;
    if (!this.sender) {
      this.logger?.info(`W&B offline run saved in ${dir}; upload it with \`aligntune wandb sync ${dir}\``);
      return;
    }
    const sent = await this.sender.settle(this.settings.tuning.waitMs, true);
    await this.sender.stop();
    if (!sent) this.warnUnsent();
  }

  private warnUnsent(): void {
    const { dir, history, sync } = this.local;
    const files = this.local.pendingMedia().length;
    const what = `${history.count - sync.history_acked} history rows${files ? ` and ${files} files` : ''}`;
    const why = this.sender?.lastError ?? `no answer within ${this.settings.tuning.waitMs / 1000} s`;
    this.logger?.warn(`W&B: ${what} not uploaded (${why}); they are kept in ${dir}; upload them with \`aligntune wandb sync ${dir}\``);
  }
}

/** A new run directory, or on resume the one this run id already has (so history offsets continue). */
function openLocalRun(info: RunInfo, settings: WandbSettings, mode: 'online' | 'offline'): LocalRun {
  const parent = join(info.outputDir, 'wandb');
  mkdirSync(parent, { recursive: true });
  const id = resolveRunId(parent, settings.runId, info.resumed);
  const existing = info.resumed ? LocalRun.find(parent, id) : undefined;
  if (!existing) {
    const meta = { id, display_name: info.runName, project: settings.project, entity: settings.entity, base_url: settings.baseUrl, mode, created_at: new Date().toISOString(), runtime: 0, finished: false };
    return LocalRun.create(parent, meta, settings.tuning.queueBytes);
  }
  const local = LocalRun.load(existing, settings.tuning.queueBytes);
  Object.assign(local.meta, { mode, base_url: settings.baseUrl, finished: false });
  local.sync.complete_acked = false;
  local.saveMeta();
  local.saveSync();
  return local;
}

function startSender(local: LocalRun, settings: WandbSettings, logger?: SinkLogger): BackgroundSender {
  const abort = new AbortController();
  const { tuning } = settings;
  const api = new WandbApi({ baseUrl: settings.baseUrl, apiKey: settings.apiKey!, retry: tuning, httpTimeoutMs: tuning.httpTimeoutMs, signal: abort.signal });
  const uploader = new RunUploader(local, api, (path) => logger?.info(`W&B run: ${runUrl(settings.baseUrl, path)}`));
  const sender = new BackgroundSender(uploader, local.history, tuning, abort, { logger, dir: local.dir });
  sender.start();
  return sender;
}

/** W&B's config format: each top-level key as `{value, desc}`; nested sections stay nested (the UI flattens them). */
function wandbConfig(config: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(config).map(([key, value]) => [key, { desc: null, value }]));
}
