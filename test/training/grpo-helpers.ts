import type { Kernel } from '@aligntune/core';
import * as grpo from '@aligntune/plugin-algo-grpo';
import * as rewards from '@aligntune/plugin-rewards-builtin';
import { trainingKernel } from './helpers.js';

export { updateError } from './helpers.js';

/** trainingKernel() plus the GRPO family and the built-in rewards (registered from source, as their packages would be). */
export function grpoKernel(): Kernel {
  const kernel = trainingKernel();
  for (const module of [grpo, rewards]) {
    for (const value of Object.values(module)) {
      if (typeof value === 'function' && Reflect.getOwnMetadata(Symbol.for('aligntune.contribution'), value)) kernel.registerClass(value as never);
    }
  }
  return kernel;
}
