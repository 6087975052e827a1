import { meanStd } from '@aligntune/core/training';

/**
 * Each completion's return: its score minus kl_coef × its summed KL. With `tokenLevel` the penalty is placed per
 * token (−kl_coef·KL_t) and the score on the last token, then summed over the completion, as TRL's token_level_kl.
 */
export function rlooReturns(scores: readonly number[], kls: readonly Float64Array[], klCoef: number, tokenLevel: boolean): number[] {
  return scores.map((score, i) => {
    const kl = kls[i]!;
    if (!tokenLevel) return score - klCoef * kl.reduce((a, b) => a + b, 0);
    const perToken = kl.map((k) => -klCoef * k);
    perToken[perToken.length - 1]! += score;
    return perToken.reduce((a, b) => a + b, 0);
  });
}

/** A_i = R_i − mean of the other k − 1 returns of its group (k consecutive completions share a prompt). */
export function leaveOneOutAdvantages(returns: readonly number[], k: number): number[] {
  return returns.map((r, i) => {
    const start = i - (i % k);
    const groupSum = returns.slice(start, start + k).reduce((a, b) => a + b, 0);
    return r - (groupSum - r) / (k - 1);
  });
}

/** (A − mean) / (std + 1e-8) over the rollout batch, std Bessel-corrected (torch's default). */
export function normalizeAdvantages(advantages: readonly number[]): number[] {
  const { mean, std } = meanStd(advantages);
  return advantages.map((a) => (a - mean) / (std + 1e-8));
}
