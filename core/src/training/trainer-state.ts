import type { DataPosition } from './batch-stream.js';
import type { LossScalerState } from './loss-scaler.js';

export const TRAINER_STATE_VERSION = 1;

/** Everything besides weights and optimizer tensors that a resumed run needs to continue exactly. */
export interface TrainerState {
  version: number;
  algo: string;
  /** Optimizer steps completed. */
  global_step: number;
  /** Planned total steps (the lr schedule depends on it, so a resume keeps it). */
  total_steps: number;
  /** The data stream's position after the last completed step. */
  data: DataPosition;
  /** The seed every random stream derives from (data order, sampling); streams are stateless given it. */
  seed: number;
  /** The partial logging window, so logged averages match an uninterrupted run. */
  log_window: { sums: Record<string, number>; counts: Record<string, number> };
  /** The last logged training metrics. */
  last_metrics: Record<string, number>;
  /** Tokens trained on so far. */
  tokens_seen: number;
  /** The run name the metric loggers use, kept so a resumed run appends to the same run. */
  run_name?: string;
  /** The algorithm's own resumable state (the online prompt cursor), from the algorithm driver's saveState(). */
  algorithm?: Record<string, unknown>;
  /** float16 mixed precision's loss scale and good-step count, so a resume scales as the uninterrupted run. */
  loss_scaler?: LossScalerState;
}
