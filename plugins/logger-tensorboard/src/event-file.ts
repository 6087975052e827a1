import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { tfRecord } from './tf-record.js';

/** Numbers this process's event files, as TensorFlow's writers do, so two writers never share a name. */
let filesCreated = 0;

/**
 * One events.out.tfevents file. Records are queued synchronously and appended in order by one background
 * write at a time, so a log call never blocks. An event that fails to encode is skipped; a failed write stops
 * all writing (a half-written record ends TensorBoard's reading of the file anyway). flush and close report
 * the first failure.
 */
export class EventFile {
  private readonly pending: Buffer[] = [];
  private writes: Promise<void> = Promise.resolve();
  private writeScheduled = false;
  private failure?: Error;
  private writeFailed = false;
  private closed = false;

  private constructor(
    readonly path: string,
    private readonly handle: FileHandle,
  ) {}

  /** Creates `events.out.tfevents.<seconds>.<host>.<pid>.<n>` in `dir`, never reusing an existing name. */
  static async create(dir: string, now: Date): Promise<EventFile> {
    await mkdir(dir, { recursive: true });
    const seconds = String(Math.floor(now.getTime() / 1000)).padStart(10, '0');
    for (;;) {
      const path = join(dir, `events.out.tfevents.${seconds}.${hostname()}.${process.pid}.${filesCreated++}`);
      try {
        return new EventFile(path, await open(path, 'wx'));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
    }
  }

  /** Queues one serialized Event; `encode` runs here so an encoding error surfaces like a write error. */
  append(encode: () => Uint8Array): void {
    if (this.writeFailed) return;
    try {
      if (this.closed) throw new Error('logged after close()');
      this.pending.push(tfRecord(encode()));
    } catch (err) {
      this.fail(err);
      return;
    }
    if (this.writeScheduled) return;
    this.writeScheduled = true;
    this.writes = this.writes.then(() => this.writePending());
  }

  async flush(): Promise<void> {
    await this.writes;
    if (this.failure) throw this.failure;
  }

  async close(): Promise<void> {
    if (this.closed) return this.flush();
    this.closed = true;
    try {
      await this.flush();
    } finally {
      await this.handle.close();
    }
  }

  private async writePending(): Promise<void> {
    this.writeScheduled = false;
    const chunk = Buffer.concat(this.pending.splice(0));
    if (this.writeFailed || chunk.length === 0) return;
    try {
      await this.handle.appendFile(chunk);
    } catch (err) {
      this.writeFailed = true;
      this.fail(err);
    }
  }

  private fail(err: unknown): void {
    this.failure ??= new Error(`tensorboard: ${this.path}: ${err instanceof Error ? err.message : String(err)}`);
  }
}
