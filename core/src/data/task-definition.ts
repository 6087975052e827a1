import type { CanonicalRecord, Prompt } from './canonical-record.js';

/** Evaluation metrics whose value comes from a reward the task names (TaskDefinition.metricRewards). */
export type RewardJudgedMetric = 'accuracy' | 'pass_at_k' | 'syntax_valid_rate';

/**
 * The contract of a `@Task(id)` plugin: what a `task_type` means for the data. Reward ids are plain reward
 * spec strings (`math:weight=1.0`) so a task needs no reward plugin to be defined; they are resolved when
 * the run builds its rewards.
 */
export interface TaskDefinition {
  /** The prompt the model sees for this record (e.g. math asks for the final answer after `####`). */
  formatPrompt(record: CanonicalRecord): Prompt;
  /** Reward specs used for this task's rows when the config lists no rewards. */
  readonly defaultRewards: readonly string[];
  /** Names of the evaluation metrics this task reports. */
  readonly metrics: readonly string[];
  /**
   * The reward that decides each reward-judged metric, as a reward spec by metric name: `accuracy` (1 = right),
   * `pass_at_k` (sampled; 1 = every test passed), `syntax_valid_rate`. Params in the spec override the run's
   * entry for that reward (`code:execute=false`). A metric without one here is not reported.
   */
  readonly metricRewards?: Readonly<Partial<Record<RewardJudgedMetric, string>>>;
}
