import { promptText, type MetricTable } from '@aligntune/core';
import type { Rollout } from './rollout.js';

/** TRL's completions table: prompt, completion, one `rewards/<name>` column per reward, reward, advantage. */
export function completionsTable(rollouts: readonly Rollout[]): MetricTable {
  const names = [...new Set(rollouts.flatMap((r) => Object.keys(r.rewards)))];
  return {
    columns: ['prompt', 'completion', ...names.map((n) => `rewards/${n}`), 'reward', 'advantage'],
    rows: rollouts.map((r) => [promptText(r.prompt), r.completion, ...names.map((n) => r.rewards[n] ?? null), r.total, r.advantage]),
  };
}
