import type { RewardScores } from './reward-aggregator.js';
import type { RewardValues } from './reward-function.js';

/**
 * Scalars for the metric loggers: the mean of each reward's raw values and of the totals over the samples
 * they apply to (`rewards/<name>/mean`, `rewards/total/mean`), and the fraction of samples shielded.
 */
export function rewardMetrics(scores: RewardScores): Record<string, number> {
  const metrics: Record<string, number> = {};
  for (const [name, values] of Object.entries(scores.raw)) addMean(metrics, `rewards/${name}/mean`, values);
  addMean(metrics, 'rewards/total/mean', scores.total);
  const size = scores.shielded.length;
  if (size > 0) metrics['rewards/shielded_frac'] = scores.shielded.filter(Boolean).length / size;
  return metrics;
}

function addMean(metrics: Record<string, number>, key: string, values: RewardValues): void {
  const present = values.filter((v): v is number => v !== null);
  if (present.length > 0) metrics[key] = present.reduce((a, b) => a + b, 0) / present.length;
}
