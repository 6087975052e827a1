import { toExtendedJson } from './extended-json.js';
import type { LocalRun } from './local-run.js';

/**
 * W&B keeps one history row per step, so everything logged at one step (training scalars, eval scalars,
 * texts, tables) is merged into one row, committed when a different step is logged, on flush and on close.
 */
export class HistoryRows {
  private pending?: { step: number; values: Record<string, unknown> };
  private readonly openedAt = Date.now();

  constructor(
    private readonly run: LocalRun,
    private readonly onCommit: () => void,
  ) {}

  add(step: number, values: Readonly<Record<string, unknown>>): void {
    if (this.pending && this.pending.step !== step) this.commit();
    this.pending ??= { step, values: {} };
    Object.assign(this.pending.values, values);
  }

  /** Appends the pending row (with W&B's `_step`, `_runtime` and `_timestamp`) and folds it into the summary. */
  commit(): void {
    if (!this.pending) return;
    const { step, values } = this.pending;
    this.pending = undefined;
    const runtime = this.runtime();
    const row = { ...values, _step: step, _runtime: runtime, _timestamp: Date.now() / 1000 };
    this.run.history.append(toExtendedJson(row));
    this.run.mergeSummary({ ...row, _wandb: { runtime: Math.round(runtime) } });
    this.onCommit();
  }

  /** Seconds since the run first started, across resumes. */
  runtime(): number {
    return this.run.meta.runtime + (Date.now() - this.openedAt) / 1000;
  }
}
