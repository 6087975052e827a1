import type { UnifiedConfig } from '../config/unified-config.js';
import type { Kernel } from '../kernel/kernel.js';

/**
 * What an algorithm's options class (`@Algorithm(id, { options })`) declares when the algorithm has an
 * implicit reward β·(log π − log π_ref) (DPO and its relatives): β, read from the run's train options. The
 * evaluator scores preference pairs with it, so margins are in the units the run's training logged.
 */
export interface ImplicitRewardSource {
  implicitRewardScale(train: Readonly<Record<string, unknown>>): number;
}

/** β when the algorithm declares none (TRL's DPO default). */
export const DEFAULT_IMPLICIT_REWARD_SCALE = 0.1;

/** The run's algorithm's implicit-reward β; the default when the algorithm is not installed or declares none. */
export async function implicitRewardScale(kernel: Kernel, config: UnifiedConfig): Promise<number> {
  if (!kernel.has('algorithm', config.algo)) return DEFAULT_IMPLICIT_REWARD_SCALE;
  const source = (await kernel.ensure('algorithm', config.algo)).metadata.options as Partial<ImplicitRewardSource> | undefined;
  const train = config.train as unknown as Readonly<Record<string, unknown>>;
  return typeof source?.implicitRewardScale === 'function' ? source.implicitRewardScale(train) : DEFAULT_IMPLICIT_REWARD_SCALE;
}
