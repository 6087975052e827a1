import { resolveRewardSpecs, rewardPoint, type Kernel, type RewardBatch, type RewardFunction } from '@aligntune/core';
import { startTestKernel } from '@aligntune/core/testing';
import * as builtins from '@aligntune/plugin-rewards-builtin';

/** A test kernel with the built-in rewards plugin, imported already (config validation reads its params classes at once). */
export function builtinKernel(): Kernel {
  return startTestKernel({ plugins: [{ name: '@aligntune/plugin-rewards-builtin', module: builtins }] }).kernel;
}

/** A reward from a spec string, its params validated against the plugin's class first. */
export async function rewardFromSpec(kernel: Kernel, spec: string): Promise<RewardFunction> {
  const [entry] = await resolveRewardSpecs(kernel, [spec]);
  return kernel.create(rewardPoint, entry!.type, { params: entry!.params });
}

/** A batch of completions with string prompts and the given per-sample columns. */
export function batch(completions: string[], columns: Record<string, unknown[]> = {}, completionIds?: number[][]): RewardBatch {
  return { prompts: completions.map(() => 'prompt'), completions, columns, completionIds };
}

/** Scores `completions` with the reward a spec names. */
export async function scoreWith(kernel: Kernel, spec: string, completions: string[], columns: Record<string, unknown[]> = {}) {
  const reward = await rewardFromSpec(kernel, spec);
  return reward.score(batch(completions, columns));
}
