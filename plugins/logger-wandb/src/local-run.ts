import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { parseExtendedJson, toExtendedJson } from './extended-json.js';
import { HistoryLog } from './history-log.js';
import { WandbUsageError, type WandbMode } from './wandb-settings.js';

/** `run.json`: what the run is and where it goes. Never holds the API key. */
export interface RunMeta {
  /** The W&B run id: the last segment of the run's URL. */
  id: string;
  display_name: string;
  project: string;
  /** Unset until the server names the key's default entity (or WANDB_ENTITY was set). */
  entity?: string;
  /** The server the run was logged for; `aligntune wandb sync` uses it unless WANDB_BASE_URL is set. */
  base_url: string;
  mode: Exclude<WandbMode, 'disabled'>;
  created_at: string;
  /** Seconds spent logging, summed over resumed sessions (W&B's `_runtime`). */
  runtime: number;
  /** The logger closed: the upload ends with `complete: true`. */
  finished: boolean;
}

/** `sync.json`: how much of the directory the server has acknowledged, so an upload continues where it stopped. */
export interface SyncState {
  /** Server history lines before this directory's first line (a run resumed elsewhere); set by the first upsert. */
  history_base?: number;
  history_acked: number;
  files_acked: string[];
  complete_acked: boolean;
}

const META = 'run.json';
const SYNC = 'sync.json';
const CONFIG = 'config.json';
const SUMMARY = 'wandb-summary.json';
const HISTORY = 'wandb-history.jsonl';
const MEDIA = 'media';

/**
 * A W&B run on disk, `<output_dir>/wandb/[offline-]run-<YYYYMMDD_HHMMSS>-<id>/`: run.json, config.json,
 * wandb-history.jsonl, wandb-summary.json, media/table/*.table.json and sync.json. Online runs write it too:
 * it is what the sender uploads from and what stays behind when the server cannot be reached.
 */
export class LocalRun {
  readonly history: HistoryLog;
  /** Bumped on every change, so the uploader knows what it has not sent yet. */
  readonly revisions = { config: 0, summary: 0 };
  private configValue: Record<string, unknown>;
  private summaryValue: Record<string, unknown>;
  private readonly media: Set<string>;

  private constructor(
    readonly dir: string,
    public meta: RunMeta,
    public sync: SyncState,
    memoryBytes: number,
  ) {
    this.history = new HistoryLog(join(dir, HISTORY), memoryBytes);
    this.configValue = readJson(join(dir, CONFIG)) ?? {};
    this.summaryValue = existsSync(join(dir, SUMMARY)) ? (parseExtendedJson(readFileSync(join(dir, SUMMARY), 'utf8')) as Record<string, unknown>) : {};
    if (Object.keys(this.configValue).length) this.revisions.config = 1;
    if (Object.keys(this.summaryValue).length) this.revisions.summary = 1;
    this.media = new Set(listFiles(join(dir, MEDIA)).map((file) => relative(dir, file).split(sep).join('/')));
  }

  static create(parent: string, meta: RunMeta, memoryBytes: number): LocalRun {
    const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '_').slice(0, 15);
    const dir = join(parent, `${meta.mode === 'offline' ? 'offline-run' : 'run'}-${stamp}-${meta.id}`);
    mkdirSync(dir, { recursive: true });
    const run = new LocalRun(dir, meta, { history_acked: 0, files_acked: [], complete_acked: false }, memoryBytes);
    run.saveMeta();
    run.saveSync();
    return run;
  }

  /** Opens a run directory; anything else is a usage error naming the path. */
  static load(dir: string, memoryBytes: number): LocalRun {
    const meta = readJson<RunMeta>(join(dir, META));
    if (!meta) throw new WandbUsageError(`${dir} is not a W&B run directory (no ${META}); run directories are <output_dir>/wandb/offline-run-* and run-*`);
    const sync = readJson<SyncState>(join(dir, SYNC)) ?? { history_acked: 0, files_acked: [], complete_acked: false };
    return new LocalRun(dir, meta, sync, memoryBytes);
  }

  /** The newest directory under `parent` of the run with this id. */
  static find(parent: string, id: string): string | undefined {
    if (!existsSync(parent)) return undefined;
    const pattern = new RegExp(`^(offline-)?run-(\\d{8}_\\d{6})-${id}$`);
    const matches = readdirSync(parent)
      .map((name) => ({ name, stamp: pattern.exec(name)?.[2] }))
      .filter((m) => m.stamp && existsSync(join(parent, m.name, META)));
    matches.sort((a, b) => a.stamp!.localeCompare(b.stamp!));
    return matches.length ? join(parent, matches.at(-1)!.name) : undefined;
  }

  /** W&B's config format: `{key: {value, desc}}`. */
  get config(): Readonly<Record<string, unknown>> {
    return this.configValue;
  }

  get summary(): Readonly<Record<string, unknown>> {
    return this.summaryValue;
  }

  setConfig(config: Record<string, unknown>): void {
    this.configValue = config;
    this.revisions.config++;
    writeAtomic(join(this.dir, CONFIG), `${JSON.stringify(config, null, 2)}\n`);
  }

  mergeSummary(values: Readonly<Record<string, unknown>>): void {
    this.summaryValue = { ...this.summaryValue, ...values };
    this.revisions.summary++;
    writeAtomic(join(this.dir, SUMMARY), toExtendedJson(this.summaryValue));
  }

  /** Writes a run file under media/ (a table) for upload. */
  writeMedia(path: string, bytes: Buffer): void {
    const file = join(this.dir, ...path.split('/'));
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, bytes);
    this.media.add(path);
  }

  /** Run files the server has not acknowledged yet. */
  pendingMedia(): string[] {
    const acked = new Set(this.sync.files_acked);
    return [...this.media].filter((path) => !acked.has(path));
  }

  saveMeta(): void {
    writeAtomic(join(this.dir, META), `${JSON.stringify(this.meta, null, 2)}\n`);
  }

  saveSync(): void {
    writeAtomic(join(this.dir, SYNC), `${JSON.stringify(this.sync)}\n`);
  }
}

function readJson<T = Record<string, unknown>>(path: string): T | undefined {
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as T) : undefined;
}

/** A reader (or a crash) never sees half a file. */
function writeAtomic(path: string, text: string): void {
  writeFileSync(`${path}.tmp`, text);
  renameSync(`${path}.tmp`, path);
}

function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? listFiles(path) : [path];
  });
}
