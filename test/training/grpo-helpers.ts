import type { Kernel } from '@aligntune/core';
import { trainingKernel } from './helpers.js';

export { updateError } from './helpers.js';

/** trainingKernel() plus the GRPO family and the built-in rewards. */
export function grpoKernel(): Kernel {
  return trainingKernel(['@aligntune/plugin-algo-grpo', '@aligntune/plugin-rewards-builtin']);
}
