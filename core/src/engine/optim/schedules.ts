/** Learning-rate schedules as HF transformers' get_*_schedule_with_warmup (LambdaLR multipliers × base lr). */
export type ScheduleKind = 'constant' | 'constant_with_warmup' | 'linear' | 'cosine';

export interface ScheduleOptions {
  kind: ScheduleKind;
  baseLr: number;
  warmupSteps?: number;
  /** Required by linear and cosine. */
  totalSteps?: number;
  /** Cosine only (HF default 0.5 = half a wave, down to 0). */
  numCycles?: number;
}

/**
 * The lr used for optimizer step `step` (0-based: the first step uses step 0, as LambdaLR's
 * last_epoch is 0 before the first scheduler.step()).
 */
export function learningRate(o: ScheduleOptions, step: number): number {
  const warm = o.warmupSteps ?? 0;
  const total = o.totalSteps ?? 0;
  return o.baseLr * multiplier(o.kind, step, warm, total, o.numCycles ?? 0.5);
}

function multiplier(kind: ScheduleKind, step: number, warm: number, total: number, cycles: number): number {
  if (kind === 'constant') return 1;
  if (step < warm) return step / Math.max(1, warm);
  if (kind === 'constant_with_warmup') return 1;
  if (total <= 0) throw new Error(`${kind} schedule needs totalSteps`);
  if (kind === 'linear') return Math.max(0, (total - step) / Math.max(1, total - warm));
  const progress = (step - warm) / Math.max(1, total - warm);
  return Math.max(0, 0.5 * (1 + Math.cos(Math.PI * cycles * 2 * progress)));
}

/** A schedule as a function of the 0-based step. */
export function makeSchedule(o: ScheduleOptions): (step: number) => number {
  return (step) => learningRate(o, step);
}
