import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { toExtendedJson } from './extended-json.js';
import type { LocalRun } from './local-run.js';
import type { FileStreamBody, RunPath, WandbApi } from './wandb-api.js';

/** One file_stream request stays well under the server's limit (W&B's clients cap requests at 10 MiB). */
const MAX_REQUEST_BYTES = 4 << 20;

/**
 * Sends what a LocalRun holds and the server lacks: the run and its config (upsertBucket), run files such as
 * tables (createRunFiles + PUT), then history lines, the summary and finally `complete` over the file stream.
 * Progress is recorded in the directory's sync.json after every acknowledged request, so both the live
 * sender and `aligntune wandb sync` continue exactly where the last upload stopped.
 */
export class RunUploader {
  private path?: RunPath;
  private configSent = -1;
  private summarySent = 0;
  /** Files PUT but not yet reported in a file_stream `uploaded` list. */
  private unreported: string[] = [];

  constructor(
    private readonly run: LocalRun,
    private readonly api: WandbApi,
    private readonly onRunCreated?: (path: RunPath) => void,
  ) {}

  /** History lines the server does not have yet. */
  get unsentLines(): number {
    return this.run.history.count - this.run.sync.history_acked;
  }

  /** True when the server has everything the directory holds. */
  get done(): boolean {
    const { revisions, meta, sync } = this.run;
    return (
      this.path !== undefined &&
      this.configSent === revisions.config &&
      this.summarySent === revisions.summary &&
      this.unsentLines === 0 &&
      this.run.pendingMedia().length === 0 &&
      (!meta.finished || sync.complete_acked)
    );
  }

  /** Sends everything; throws (its message free of the key) when the server stays unreachable or refuses. */
  async drain(): Promise<void> {
    while (await this.step()) {
      // each step records its progress itself
    }
  }

  /** One request's worth of work, history lines only before `upTo`; false when nothing was left to send. */
  async step(upTo = Number.POSITIVE_INFINITY): Promise<boolean> {
    if (!this.path || this.configSent !== this.run.revisions.config) {
      await this.upsert();
      return true;
    }
    const media = this.run.pendingMedia().filter((path) => !this.unreported.includes(path));
    if (media.length > 0) {
      await this.uploadMedia(media);
      return true;
    }
    return this.stream(upTo);
  }

  private async upsert(): Promise<void> {
    const { meta, sync } = this.run;
    const revision = this.run.revisions.config;
    const created = await this.api.upsertRun({ runId: meta.id, project: meta.project, entity: meta.entity, displayName: meta.display_name, config: JSON.stringify(this.run.config) });
    if (meta.entity !== created.entity || meta.project !== created.project) {
      Object.assign(meta, { entity: created.entity, project: created.project });
      this.run.saveMeta();
    }
    if (sync.history_base === undefined) {
      sync.history_base = created.historyLineCount;
      this.run.saveSync();
    }
    if (!this.path) this.onRunCreated?.(created);
    this.path = created;
    this.configSent = revision;
  }

  private async uploadMedia(paths: string[]): Promise<void> {
    const { urls, headers } = await this.api.createRunFiles(this.path!, paths);
    for (const path of paths) {
      const url = urls.get(path);
      if (url) {
        await this.api.putFile(url, headers, readFileSync(join(this.run.dir, ...path.split('/'))));
        this.unreported.push(path);
      } else {
        // the server declined the file (W&B's clients skip it too); retrying would never end
        this.run.sync.files_acked.push(path);
      }
    }
  }

  private async stream(upTo: number): Promise<boolean> {
    const { history, sync, meta, revisions } = this.run;
    const lines = history.read(sync.history_acked, MAX_REQUEST_BYTES, upTo);
    const files: NonNullable<FileStreamBody['files']> = {};
    if (lines.length > 0) files['wandb-history.jsonl'] = { offset: (sync.history_base ?? 0) + sync.history_acked, content: lines };
    const summaryRevision = revisions.summary;
    if (summaryRevision !== this.summarySent) files['wandb-summary.json'] = { offset: 0, content: [toExtendedJson(this.run.summary)] };
    const uploaded = [...this.unreported];
    const everythingElseSent = sync.history_acked + lines.length === history.count && this.run.pendingMedia().every((p) => uploaded.includes(p));
    const complete = meta.finished && !sync.complete_acked && everythingElseSent;
    if (Object.keys(files).length === 0 && uploaded.length === 0 && !complete) return false;
    await this.api.fileStream(this.path!, { ...(Object.keys(files).length ? { files } : {}), ...(uploaded.length ? { uploaded } : {}), ...(complete ? { complete, exitcode: 0 } : {}) });
    sync.history_acked += lines.length;
    history.release(sync.history_acked);
    sync.files_acked.push(...uploaded);
    this.unreported = [];
    sync.complete_acked ||= complete;
    this.summarySent = summaryRevision;
    this.run.saveSync();
    return true;
  }
}

/** The run's page: the app lives at the API host without its `api.` prefix (api.wandb.ai → wandb.ai). */
export function runUrl(baseUrl: string, path: RunPath): string {
  const app = baseUrl.replace('://api.', '://');
  return `${app}/${[path.entity, path.project, 'runs', path.runId].map(encodeURIComponent).join('/')}`;
}
