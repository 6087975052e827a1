import { ConfigValidationError } from '../config/config-validation-error.js';
import type { UnifiedConfig } from '../config/unified-config.js';
import type { ProcessGroup } from '../engine/process-group.js';
import type { DistributedBackendOptions } from '../kernel/contribution.js';
import { OutputDirError } from './output-dir-error.js';
import type { DataParallel } from './step-executor.js';

/**
 * How several ranks train together: the backend's ZeRO stage (0 = ddp's allreduce; 1 and 2 shard the optimizer,
 * see ZeroOptimizer). One rank: undefined.
 */
export function dataParallelPlan(group: ProcessGroup): DataParallel | undefined {
  if (group.worldSize === 1) return undefined;
  return { group, zeroStage: group.zeroStage ?? 0 };
}

/** `distributed:` keys only some backends act on (those that list them in `configKeys`). */
const BACKEND_KEYS = ['deepspeed_config'] as const;

/** Refuses a `distributed.*` key the chosen backend does not act on (`deepspeed_config` under ddp, say), naming it. */
export function refuseUnreadKeys(config: UnifiedConfig, declared: Pick<DistributedBackendOptions, 'configKeys'> | undefined): void {
  const reads = declared?.configKeys ?? [];
  const issues = BACKEND_KEYS.filter((key) => config.distributed[key] !== undefined && !reads.includes(key)).map((key) => ({
    path: `distributed.${key}`,
    message: `distributed backend "${config.distributed.backend}" does not act on it: remove it or choose a backend that does (docs/distributed.md)`,
  }));
  if (issues.length) throw new ConfigValidationError(issues);
}

/** The exit code every rank ends with when one fails: 2 for the user's config, data or output directory, else 1 (the CLI's codes). */
export function abortCode(error: unknown): number {
  return error instanceof ConfigValidationError || error instanceof OutputDirError || (error as { exitCode?: number } | null)?.exitCode === 2 ? 2 : 1;
}
