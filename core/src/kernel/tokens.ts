/**
 * Service identifiers the kernel binds for contributions to inject. Plain strings, so plugins written
 * against tsyringe can use them as `@inject('aligntune.Logger')` too.
 */
export const Tokens = {
  /** The Kernel itself. */
  Kernel: 'aligntune.Kernel',
  /** A winston-backed UnifiedLogger. */
  Logger: 'aligntune.Logger',
  /** The validated UnifiedConfig of the current run (bound per run). */
  Config: 'aligntune.Config',
  /** The validated params object of the contribution being created (a reward's params, say). */
  Params: 'aligntune.Params',
} as const;
