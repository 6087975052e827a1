import type { Kernel } from '@aligntune/core';
import * as rloo from '@aligntune/plugin-algo-rloo';
import * as rewards from '@aligntune/plugin-rewards-builtin';
import { trainingKernel } from './helpers.js';

/** trainingKernel() plus RLOO and the built-in rewards (registered from source, as their packages would be). */
export function rlooKernel(): Kernel {
  const kernel = trainingKernel();
  for (const module of [rloo, rewards]) {
    for (const value of Object.values(module)) {
      if (typeof value === 'function' && Reflect.getOwnMetadata(Symbol.for('aligntune.contribution'), value)) kernel.registerClass(value as never);
    }
  }
  return kernel;
}
