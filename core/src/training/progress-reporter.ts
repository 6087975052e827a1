import cliProgress from 'cli-progress';

export interface ProgressUpdate {
  step: number;
  loss: number;
  tokensPerSecond: number;
}

export interface ProgressOptions {
  total: number;
  /** Where the bar goes (stderr: stdout stays clean for machine output). */
  stream?: NodeJS.WriteStream;
  /** Plain lines instead of a bar; default: when the stream is not a TTY. */
  plain?: boolean;
  /** Emit a plain line every N steps. */
  every?: number;
  /** Off entirely (tests, embedding). */
  enabled?: boolean;
}

/**
 * Progress on stderr: a cli-progress bar (step, loss, tokens/s, ETA) on a terminal, else one plain line per
 * logging step, which is what log files and CI captures want.
 */
export class ProgressReporter {
  private bar?: cliProgress.SingleBar;
  private readonly stream: NodeJS.WriteStream;
  private readonly plain: boolean;
  private readonly started = Date.now();
  private startStep = 0;

  constructor(private readonly options: ProgressOptions) {
    this.stream = options.stream ?? process.stderr;
    this.plain = options.plain ?? !this.stream.isTTY;
  }

  start(step: number): void {
    this.startStep = step;
    if (this.options.enabled === false || this.plain) return;
    this.bar = new cliProgress.SingleBar(
      { stream: this.stream, format: 'train [{bar}] {value}/{total} | loss {loss} | {tps} tok/s | ETA {eta_formatted}', etaBuffer: 20, hideCursor: true },
      cliProgress.Presets.shades_classic,
    );
    this.bar.start(this.options.total, step, { loss: '-', tps: '-' });
  }

  update(u: ProgressUpdate): void {
    if (this.options.enabled === false) return;
    if (this.bar) return void this.bar.update(u.step, { loss: u.loss.toFixed(4), tps: Math.round(u.tokensPerSecond) });
    const every = this.options.every ?? 1;
    if (u.step % every !== 0 && u.step !== this.options.total) return;
    this.stream.write(`step ${u.step}/${this.options.total} loss ${u.loss.toFixed(4)} ${Math.round(u.tokensPerSecond)} tok/s ETA ${formatSeconds(this.eta(u.step))}\n`);
  }

  stop(): void {
    this.bar?.stop();
    this.bar = undefined;
  }

  private eta(step: number): number {
    const done = step - this.startStep;
    if (done <= 0) return NaN;
    return ((Date.now() - this.started) / 1000 / done) * (this.options.total - step);
  }
}

export function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '-';
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = Math.round(s % 60);
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : m > 0 ? `${m}m${String(sec).padStart(2, '0')}s` : `${sec}s`;
}
