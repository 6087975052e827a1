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
}

export interface Trainer {
  train(): Promise<TrainResult>;
}
