import cliProgress from 'cli-progress';

/** The values of a logged metrics row that the console shows (window means, as in metrics.jsonl). */
export interface LoggedProgress {
  loss?: number;
  tokens_per_second?: number;
}

export interface ProgressOptions {
  total: number;
  /** Where the bar goes (stderr: stdout stays clean for machine output). */
  stream?: NodeJS.WriteStream;
  /** Plain lines instead of a bar; default: when the stream is not a TTY. */
  plain?: boolean;
  /** Off entirely (tests, embedding). */
  enabled?: boolean;
  /** Milliseconds clock for the ETA (tests substitute their own). */
  now?: () => number;
}

/**
 * Progress on stderr: a cli-progress bar (step, loss, tokens/s, ETA) on a terminal, else one plain line per
 * logged row, which is what log files and CI captures want. Loss and tokens/s are the logged row's (the
 * window means written to metrics.jsonl), so the console and the metrics agree.
 */
export class ProgressReporter {
  private bar?: cliProgress.SingleBar;
  private readonly stream: NodeJS.WriteStream;
  private readonly plain: boolean;
  private readonly now: () => number;
  /** The first step's end: the estimate times the steps after it (the first one compiles and warms up). */
  private timedFrom?: { step: number; at: number };
  private shown = { loss: '-', tps: '-' };

  constructor(private readonly options: ProgressOptions) {
    this.stream = options.stream ?? process.stderr;
    this.plain = options.plain ?? !this.stream.isTTY;
    this.now = options.now ?? Date.now;
  }

  start(step: number): void {
    if (this.options.enabled === false || this.plain) return;
    this.bar = new cliProgress.SingleBar(
      { stream: this.stream, format: 'train [{bar}] {value}/{total} | loss {loss} | {tps} tok/s | ETA {eta}', hideCursor: true },
      cliProgress.Presets.shades_classic,
    );
    this.bar.start(this.options.total, step, { ...this.shown, eta: '-' });
  }

  /** After each optimizer step; `logged` is the row this step wrote to metrics.jsonl, if it wrote one. */
  update(step: number, logged?: LoggedProgress): void {
    if (this.options.enabled === false) return;
    const eta = formatSeconds(this.secondsLeft(step));
    if (logged) this.shown = { loss: (logged.loss ?? NaN).toFixed(4), tps: String(Math.round(logged.tokens_per_second ?? NaN)) };
    if (this.bar) return void this.bar.update(step, { ...this.shown, eta });
    if (logged) this.stream.write(`step ${step}/${this.options.total} loss ${this.shown.loss} ${this.shown.tps} tok/s ETA ${eta}\n`);
  }

  stop(): void {
    this.bar?.stop();
    this.bar = undefined;
  }

  /** The mean time of the steps after the first, times the steps left; NaN (shown as "-") until one is timed. */
  private secondsLeft(step: number): number {
    const now = this.now();
    if (!this.timedFrom) {
      this.timedFrom = { step, at: now };
      return NaN;
    }
    const timed = step - this.timedFrom.step;
    return timed > 0 ? ((now - this.timedFrom.at) / 1000 / timed) * (this.options.total - step) : NaN;
  }
}

export function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '-';
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = Math.round(s % 60);
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : m > 0 ? `${m}m${String(sec).padStart(2, '0')}s` : `${sec}s`;
}
