import type { CanonicalRecord, Prompt } from './canonical-record.js';

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
}
