import type { MetricRow } from '../metrics-log.js';
import { trainingPlan } from './training-plan.js';

export interface OnPolicyScheduleOptions {
  /** Passes over each rollout batch (num_ppo_epochs). */
  readonly epochs: number;
  /** Rows per micro-batch (per_device_batch_size). */
  readonly microBatchSize: number;
  readonly shuffle: boolean;
  readonly seed: number;
}

/**
 * The bookkeeping of TRL's OnPolicyConfig loop: each rollout batch's micro-batch plan (`epochs` passes, each in its
 * own order) and the episode counters TRL logs (episode: completions so far; eps: completions per second since the
 * schedule started, TRL's start_time before its update loop).
 */
export class OnPolicySchedule {
  private rounds = 0;
  private episodes = 0;
  private readonly startedAt = performance.now();

  constructor(private readonly options: OnPolicyScheduleOptions) {}

  /** The plan (row indices per micro-batch) of the next rollout batch of `size` rows, and the episode metrics after it. */
  next(size: number): { plan: number[][]; metrics: MetricRow } {
    const plan = trainingPlan(size, { ...this.options, round: this.rounds++ });
    this.episodes += size;
    const seconds = Math.max((performance.now() - this.startedAt) / 1000, 1e-3);
    return { plan, metrics: { episode: this.episodes, eps: Math.round(this.episodes / seconds) } };
  }
}
