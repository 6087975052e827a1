import { promptText } from '../../data/canonical-record.js';
import type { MetricRow } from '../metrics-log.js';
import type { MetricTable } from '../metric-sink.js';
import type { Rollout } from './rollout.js';

/** Bessel-corrected (n − 1) mean and std of `values`; std 0 for a single value. */
export function meanStd(values: readonly number[]): { mean: number; std: number } {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / Math.max(n, 1);
  if (n < 2) return { mean, std: 0 };
  const variance = values.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1);
  return { mean, std: Math.sqrt(variance) };
}

/** rewards/<name>/mean and rewards/<name>/std of each reward over the rollouts it applies to (TRL's names). */
export function rewardFunctionMetrics(rollouts: readonly Rollout[]): MetricRow {
  const metrics: MetricRow = {};
  for (const name of rewardColumnNames(rollouts)) {
    const values = rollouts.map((r) => r.rewards[name]).filter((v): v is number => typeof v === 'number');
    if (!values.length) continue;
    const { mean, std } = meanStd(values);
    metrics[`rewards/${name}/mean`] = mean;
    metrics[`rewards/${name}/std`] = std;
  }
  return metrics;
}

/** completions/* lengths in tokens (EOS included), TRL's names; clipped = without EOS. */
export function completionLengthMetrics(rollouts: readonly Rollout[]): MetricRow {
  const lengths = rollouts.map((r) => r.completionIds.length);
  const terminated = rollouts.filter((r) => r.containsEos).map((r) => r.completionIds.length);
  const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
  return {
    'completions/mean_length': mean(lengths),
    'completions/min_length': Math.min(...lengths),
    'completions/max_length': Math.max(...lengths),
    'completions/clipped_ratio': 1 - terminated.length / rollouts.length,
    'completions/mean_terminated_length': mean(terminated),
  };
}

/**
 * TRL's completions table: prompt, completion, one `rewards/<name>` column per reward, then the algorithm's own
 * columns (GRPO's reward and advantage, PPO's reward_model and score), in the order given.
 */
export function completionsTable<R extends Rollout>(rollouts: readonly R[], extra: Record<string, (r: R) => number | null>): MetricTable {
  const names = rewardColumnNames(rollouts);
  const own = Object.entries(extra);
  return {
    columns: ['prompt', 'completion', ...names.map((n) => `rewards/${n}`), ...own.map(([column]) => column)],
    rows: rollouts.map((r) => [promptText(r.prompt), r.completion, ...names.map((n) => r.rewards[n] ?? null), ...own.map(([, value]) => value(r))]),
  };
}

function rewardColumnNames(rollouts: readonly Rollout[]): string[] {
  return [...new Set(rollouts.flatMap((r) => Object.keys(r.rewards)))];
}
