import type { StopSignal } from './signal-guard.js';

/** What every algorithm's trainer provides. TrainerBase (the shared loop) implements it. */
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
