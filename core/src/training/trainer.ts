import type { StopSignal } from './signal-guard.js';

/** What a training run returns. ContractTrainer (the shared loop) implements Trainer. */
export interface TrainResult {
  /** Optimizer steps completed. */
  steps: number;
  /** Where the final model was written, if anywhere. */
  outputDir?: string;
  /** Last logged metrics. */
  metrics: Record<string, number>;
  /** The run stopped early on SIGINT/SIGTERM (a checkpoint was saved; no final model). */
  interrupted?: boolean;
  /** The signal (or requestStop) that asked the run to stop, also when it came too late to skip the final save. */
  stopSignal?: StopSignal;
}

export interface Trainer {
  train(): Promise<TrainResult>;
}

/** Where a trainer and its parts log (the CLI's logger, or a test's). */
export interface TrainerLogger {
  info(message: string, meta?: Record<string, unknown>): void;
  warn(message: string, meta?: Record<string, unknown>): void;
  debug(message: string, meta?: Record<string, unknown>): void;
  /** A failure the run ends on (the CLI's logger has it; a bare logger falls back to warn). */
  error?(message: string, meta?: Record<string, unknown>): void;
}
