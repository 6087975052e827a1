/**
 * When a run evaluates: every `eval_interval` optimizer steps (0 = never during the run), and once more at the end
 * unless the last step was just evaluated; only when there is something to evaluate (eval rows).
 */
export class EvaluationSchedule {
  private lastEvaluated = -1;

  constructor(
    private readonly interval: number,
    private readonly enabled: boolean,
  ) {}

  /** Whether step `step` (just completed) evaluates; marks it evaluated when it does. */
  dueAfter(step: number): boolean {
    const due = this.enabled && this.interval > 0 && step % this.interval === 0;
    if (due) this.lastEvaluated = step;
    return due;
  }

  /** Whether the run evaluates once more after its last step `step`. */
  dueAtEnd(step: number): boolean {
    return this.enabled && this.lastEvaluated !== step;
  }
}
