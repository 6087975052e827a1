import { Kernel } from './kernel.js';

let scriptKernel: Kernel | undefined;

/**
 * The kernel a script's `RewardRegistry.register(...)` and `TrainerFactory` use when no kernel is passed: one
 * per copy of core, created on first use. Everything else (the CLI, tests, embedders) passes its own kernel.
 */
export function defaultKernel(): Kernel {
  return (scriptKernel ??= new Kernel());
}
