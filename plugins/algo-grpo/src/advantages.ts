import { meanStd } from '@aligntune/core/training';
import type { ScaleRewards } from './grpo-options.js';

/**
 * Group-relative advantages as TRL computes them, groups being G consecutive completions:
 * group: (R − mean_g) / (std_g + 1e-4); batch: (R − mean_g) / (std_batch + 1e-4); none: R − mean_g.
 * A null total (no reward applies) gets advantage 0 and is left out of the statistics, so an unscored
 * completion neither raises nor lowers its siblings' baseline.
 */
export function groupAdvantages(totals: readonly (number | null)[], groupSize: number, scale: ScaleRewards): number[] {
  const advantages = new Array<number>(totals.length).fill(0);
  const present = totals.filter((t): t is number => t !== null);
  const batchStd = meanStd(present).std;
  for (let start = 0; start < totals.length; start += groupSize) {
    const group = totals.slice(start, start + groupSize);
    const { mean, std } = meanStd(group.filter((t): t is number => t !== null));
    const denominator = scale === 'group' ? std + 1e-4 : scale === 'batch' ? batchStd + 1e-4 : 1;
    group.forEach((total, k) => {
      if (total !== null) advantages[start + k] = (total - mean) / denominator;
    });
  }
  return advantages;
}

/** Per group: true when every completion's reward ties (std 0): no learning signal (frac_reward_zero_std, DAPO's filter). */
export function tiedGroups(totals: readonly (number | null)[], groupSize: number): boolean[] {
  const tied: boolean[] = [];
  for (let start = 0; start < totals.length; start += groupSize) {
    const group = totals.slice(start, start + groupSize).map((t) => t ?? 0);
    tied.push(group.every((t) => t === group[0]));
  }
  return tied;
}
