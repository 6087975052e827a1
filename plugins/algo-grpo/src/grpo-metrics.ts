import type { MetricRow } from '@aligntune/core';
import { meanStd } from './advantages.js';
import type { Rollout } from './rollout.js';

/**
 * Host-side metrics of a generation batch, TRL's names: reward, reward_std (mean of the group stds),
 * rewards/<name>/mean|std, completions/* lengths (tokens, EOS included), frac_reward_zero_std comes from the sampler.
 */
export function rolloutMetrics(rollouts: readonly Rollout[], groupSize: number): MetricRow {
  const totals = rollouts.map((r) => r.total).filter((t): t is number => t !== null);
  const groupStds: number[] = [];
  for (let at = 0; at < rollouts.length; at += groupSize) {
    groupStds.push(meanStd(rollouts.slice(at, at + groupSize).flatMap((r) => (r.total === null ? [] : [r.total]))).std);
  }
  const metrics: MetricRow = {};
  if (totals.length) Object.assign(metrics, { reward: meanStd(totals).mean, reward_std: meanStd(groupStds).mean });
  for (const name of new Set(rollouts.flatMap((r) => Object.keys(r.rewards)))) {
    const values = rollouts.map((r) => r.rewards[name]).filter((v): v is number => typeof v === 'number');
    if (!values.length) continue;
    const { mean, std } = meanStd(values);
    metrics[`rewards/${name}/mean`] = mean;
    metrics[`rewards/${name}/std`] = std;
  }
  return { ...metrics, ...lengthMetrics(rollouts) };
}

function lengthMetrics(rollouts: readonly Rollout[]): MetricRow {
  const lengths = rollouts.map((r) => r.completionIds.length);
  const terminated = rollouts.filter((r) => r.terminated).map((r) => r.completionIds.length);
  const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
  return {
    'completions/mean_length': mean(lengths),
    'completions/min_length': Math.min(...lengths),
    'completions/max_length': Math.max(...lengths),
    'completions/clipped_ratio': 1 - terminated.length / rollouts.length,
    'completions/mean_terminated_length': mean(terminated),
  };
}
