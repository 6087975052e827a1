import { ConfigValidationError } from '../config/config-validation-error.js';
import type { UnifiedConfig } from '../config/unified-config.js';
import type { ProcessGroup } from '../engine/process-group.js';
import { OutputDirError } from './output-dir-error.js';
import type { DataParallel } from './step-executor.js';
import type { TrainerLogger } from './trainer.js';

/**
 * How several ranks train together, from `distributed.backend`: ddp allreduces the gradients; deepspeed runs ZeRO
 * stage 1 or 2 (`deepspeed_config.zero_optimization.stage`, default 2); fsdp runs as ZeRO stage 2, said in the log,
 * because whole-step graphs cannot gather one layer's parameters at a time. One rank: undefined.
 */
export function dataParallelPlan(config: UnifiedConfig, group: ProcessGroup, online: boolean, logger?: TrainerLogger): DataParallel | undefined {
  if (group.worldSize === 1) return undefined;
  if (online) {
    throw new ConfigValidationError([{ path: 'distributed.backend', message: `"${config.distributed.backend}" with several processes trains offline algorithms (sft, dpo, reward) for now; run ${config.algo} with backend: single (docs/distributed.md)` }]);
  }
  const backend = config.distributed.backend;
  if (backend === 'fsdp') {
    if (group.rank === 0) logger?.warn('distributed.backend fsdp runs as ZeRO stage 2 (optimizer state and gradients sharded across ranks, parameters replicated): whole-step graphs cannot gather parameters layer by layer; see docs/distributed.md');
    return { group, zeroStage: 2 };
  }
  if (backend === 'deepspeed') {
    const zero = config.distributed.deepspeed_config?.zero_optimization as { stage?: 1 | 2 } | undefined;
    return { group, zeroStage: zero?.stage ?? 2 };
  }
  return { group, zeroStage: 0 };
}

/** The exit code every rank ends with when one fails: 2 for the user's config, data or output directory, else 1 (the CLI's codes). */
export function abortCode(error: unknown): number {
  return error instanceof ConfigValidationError || error instanceof OutputDirError || (error as { exitCode?: number } | null)?.exitCode === 2 ? 2 : 1;
}
