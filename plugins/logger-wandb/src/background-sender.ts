import type { SinkLogger } from '@aligntune/core/training';
import { isRetryable } from './retry.js';
import type { RunUploader } from './run-uploader.js';
import type { SenderTuning } from './wandb-settings.js';

/**
 * Uploads in the background while training logs, so a log call never waits on the network. It sends at most
 * one round per `intervalMs` (a round sends every line committed when it started); each request retries
 * with backoff, and a round that still fails leaves the data on disk and waits a cool-down before the next.
 * A refusal that retrying cannot fix (a rejected key) stops it for the rest of the run.
 */
export class BackgroundSender {
  private loop?: Promise<void>;
  private wake?: () => void;
  private urgent = false;
  private roundsStarted = 0;
  /** The number of the last round that failed (rounds count from 1). */
  private lastFailedRound = 0;
  private stopped = false;
  private roundWaiters: Array<() => void> = [];
  /** The last failure's message (already free of the key), while uploads are failing. */
  lastError?: string;

  constructor(
    private readonly uploader: RunUploader,
    private readonly history: { readonly count: number },
    private readonly tuning: SenderTuning,
    private readonly abort: AbortController,
    private readonly report: { logger?: SinkLogger; dir: string },
  ) {}

  start(): void {
    this.loop = this.run();
  }

  /** Something new to send: within `intervalMs`, or at once when `urgent`. */
  notify(urgent = false): void {
    this.urgent ||= urgent;
    this.wake?.();
  }

  /**
   * Waits (at most `timeoutMs`) until the server has everything. Gives up early when uploads are failing:
   * the data is on disk either way. `retryNow` first ends a cool-down with one more round (used by close).
   */
  async settle(timeoutMs: number, retryNow: boolean): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    if (this.lastError !== undefined && !retryNow) return this.uploader.done;
    // the failures that end the wait: of the round under way (if any), or with retryNow only of later rounds
    const firstCounted = Math.max(1, this.roundsStarted + (retryNow ? 1 : 0));
    this.notify(true);
    while (!this.uploader.done) {
      const left = deadline - Date.now();
      if (this.stopped || this.lastFailedRound >= firstCounted || left <= 0) return false;
      await this.nextRoundEnd(left);
    }
    return true;
  }

  /** Aborts the request in flight and any wait; resolves when the loop has ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    this.wake?.();
    await this.loop;
  }

  private async run(): Promise<void> {
    let lastRound = Number.NEGATIVE_INFINITY;
    while (!this.stopped) {
      if (this.uploader.done) {
        await this.wait(Number.POSITIVE_INFINITY, 'any');
        continue;
      }
      if (!this.urgent) await this.wait(lastRound + this.tuning.intervalMs - Date.now(), 'urgent');
      if (this.stopped) break;
      this.urgent = false;
      lastRound = Date.now();
      const ok = await this.round();
      this.endRound();
      if (!ok) await this.wait(this.cooldownMs(), 'urgent');
    }
    this.endRound();
  }

  /** Sends the lines committed so far (and the run, files, summary); false when it failed. */
  private async round(): Promise<boolean> {
    const upTo = this.history.count;
    const round = ++this.roundsStarted;
    try {
      while (!this.stopped && (await this.uploader.step(upTo))) {
        // each step is one request
      }
      if (this.lastError !== undefined) this.report.logger?.info('W&B: reachable again, uploading the backlog');
      this.lastError = undefined;
      return true;
    } catch (error) {
      if (this.stopped) return false;
      this.lastFailedRound = round;
      this.onFailure(error instanceof Error ? error.message : String(error), isRetryable(error));
      return false;
    }
  }

  private onFailure(message: string, retryable: boolean): void {
    const { logger, dir } = this.report;
    if (!retryable) {
      this.stopped = true;
      logger?.warn(`W&B refused the upload (${message}); nothing more is sent this run. The run is kept in ${dir}: fix the cause, then run \`aligntune wandb sync ${dir}\``);
    } else if (this.lastError === undefined) {
      logger?.warn(`W&B unreachable (${message}); training continues, the data is kept in ${dir} and uploads resume when the server answers`);
    }
    this.lastError = message;
  }

  /** After a failed round (itself `maxAttempts` tries), wait about as long as one more doubling would. */
  private cooldownMs(): number {
    return Math.min(60_000, this.tuning.retryMs * 2 ** this.tuning.maxAttempts);
  }

  /** Waits `ms`; `notify` cuts it short: any notify for 'any', an urgent one (or stop) for 'urgent'. */
  private wait(ms: number, wakeOn: 'any' | 'urgent'): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      // unref: a sender that is only pacing itself never keeps the process alive (close() waits with its own timer)
      const timer = Number.isFinite(ms) ? setTimeout(done, Math.max(0, ms)).unref() : undefined;
      this.wake = () => {
        if (wakeOn === 'any' || this.urgent || this.stopped) done();
      };
    });
  }

  private nextRoundEnd(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.roundWaiters.push(done);
    });
  }

  private endRound(): void {
    for (const waiter of this.roundWaiters.splice(0)) waiter();
  }
}
