import { ConfigValidationError, type ConfigIssue } from '../../config/config-validation-error.js';
import { applyEntryParams } from '../../config/plugin-options.js';
import type { RewardConfig } from '../../config/reward-config.js';
import { parseRewardSpec } from '../../config/reward-spec.js';
import type { Kernel } from '../../kernel/kernel.js';

/**
 * Reward spec strings (`length:weight=1:min_length=10`) to validated RewardConfigs, outside a full config
 * (the `aligntune reward score` command, scripts): syntax, then the reward ids against the kernel (importing
 * lazy plugins), then each reward's params against its plugin's class, every problem reported at once.
 */
export async function resolveRewardSpecs(kernel: Kernel, specs: readonly string[]): Promise<RewardConfig[]> {
  const entries = specs.map((spec) => parseRewardSpec(spec));
  for (const entry of entries) await kernel.ensure('reward', entry.type);
  const issues: ConfigIssue[] = [];
  applyEntryParams('reward', entries, entries.map((entry) => entry.params), kernel, issues);
  if (issues.length > 0) throw new ConfigValidationError(issues);
  return entries;
}
