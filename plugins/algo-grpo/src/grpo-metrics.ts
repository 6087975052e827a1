import { completionLengthMetrics, meanStd, rewardFunctionMetrics, type MetricRow, type Rollout } from '@aligntune/core/training';

/**
 * Host-side metrics of a generation batch, TRL's names: reward, reward_std (mean of the group stds),
 * rewards/<name>/mean|std, completions/* lengths; frac_reward_zero_std comes from the sampler.
 */
export function groupMetrics(rollouts: readonly Rollout[], groupSize: number): MetricRow {
  const totals = rollouts.map((r) => r.total).filter((t): t is number => t !== null);
  const groupStds: number[] = [];
  for (let at = 0; at < rollouts.length; at += groupSize) {
    groupStds.push(meanStd(rollouts.slice(at, at + groupSize).flatMap((r) => (r.total === null ? [] : [r.total]))).std);
  }
  const metrics: MetricRow = totals.length ? { reward: meanStd(totals).mean, reward_std: meanStd(groupStds).mean } : {};
  return { ...metrics, ...rewardFunctionMetrics(rollouts), ...completionLengthMetrics(rollouts) };
}
