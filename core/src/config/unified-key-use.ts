import type { Constructor } from '../kernel/contribution.js';
import type { ConfigIssue } from './config-validation-error.js';
import type { AlgorithmTrainingKey } from './training-config.js';
import type { UnifiedConfig } from './unified-config.js';

/**
 * How an algorithm reads the parts of the unified config that only some algorithms use, declared by its
 * options class as `static readonly unifiedKeys` (core names no algorithm). A TrainingConfig key of
 * ALGORITHM_TRAINING_KEYS is used as it is when `uses` lists it or the options class redeclares it (with the
 * algorithm's default), read under another name when `renames` maps it, and refused otherwise.
 */
export interface UnifiedKeyUse {
  /** Keys read as TrainingConfig declares them. */
  uses?: readonly AlgorithmTrainingKey[];
  /** Keys read as one of the algorithm's own options, as the seed maps the GRPO family's β ← kl_coef. */
  renames?: Partial<Record<AlgorithmTrainingKey, string>>;
  /** The algorithm trains on the scores of `rewards:` (online algorithms). */
  rewards?: boolean;
  /** For a key the algorithm refuses: what to use instead (shown in the error). */
  instead?: Partial<Record<AlgorithmTrainingKey | 'rewards', string>>;
}

/**
 * An algorithm's options class with the statics the config layer reads: its key use, and cross-field rules
 * that need the whole config (batch divisibility, a reward source); these run with every other check, so
 * `validate` reports them together and names the file. A rule may fill options derived from others. The
 * values may have failed their own checks (those are reported already): a rule skips those it cannot use
 * (see `validCounts`).
 */
export interface AlgorithmOptionsClass extends Constructor {
  readonly unifiedKeys?: UnifiedKeyUse;
  checkConfig?(config: UnifiedConfig): ConfigIssue[];
}

export function keyUseOf(options: Constructor | undefined): UnifiedKeyUse {
  return (options as AlgorithmOptionsClass | undefined)?.unifiedKeys ?? {};
}

/** Whether every value is a positive integer, the precondition of a divisibility rule. */
export function validCounts(...values: unknown[]): boolean {
  return values.every((value) => Number.isInteger(value) && (value as number) > 0);
}
