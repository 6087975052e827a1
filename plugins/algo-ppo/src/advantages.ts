import type { KlEstimator } from './ppo-options.js';

/** Per-token KL estimate from lr = log π_ref − log π: k1 = −lr, k3 = (e^lr − 1) − lr (both ≥ 0 in expectation). */
export function tokenKl(logps: Float64Array, refLogps: Float64Array, estimator: KlEstimator): Float64Array {
  return logps.map((logp, t) => {
    const lr = refLogps[t]! - logp;
    return estimator === 'k1' ? -lr : Math.expm1(lr) - lr;
  });
}

/** r_t = −kl_coef·KL_t, with the sequence score added at the last completion token. */
export function tokenRewards(kl: Float64Array, score: number, klCoef: number): Float64Array {
  const rewards = kl.map((k) => -klCoef * k);
  rewards[rewards.length - 1]! += score;
  return rewards;
}

/**
 * Generalised advantage estimation over one completion, backwards: δ_t = r_t + γ·V_{t+1} − V_t with the value
 * after the last token 0 (the episode ends there), A_t = δ_t + γλ·A_{t+1}; returns = A + V.
 */
export function gae(rewards: Float64Array, values: Float64Array, gamma: number, lam: number): { advantages: Float64Array; returns: Float64Array } {
  const n = rewards.length;
  const advantages = new Float64Array(n);
  let next = 0;
  for (let t = n - 1; t >= 0; t--) {
    const nextValue = t + 1 < n ? values[t + 1]! : 0;
    const delta = rewards[t]! + gamma * nextValue - values[t]!;
    next = delta + gamma * lam * next;
    advantages[t] = next;
  }
  return { advantages, returns: advantages.map((a, t) => a + values[t]!) };
}

/**
 * TRL's masked_whiten over every token of every row: (x − mean)·rsqrt(var + 1e-8) with the unbiased variance
 * (× n/(n − 1)); shiftMean false adds the mean back (whiten_rewards keeps the rewards' level).
 */
export function whiten(rows: readonly Float64Array[], shiftMean = true): Float64Array[] {
  const n = rows.reduce((s, r) => s + r.length, 0);
  const mean = rows.reduce((s, r) => s + r.reduce((a, b) => a + b, 0), 0) / n;
  const squares = rows.reduce((s, r) => s + r.reduce((a, x) => a + (x - mean) ** 2, 0), 0);
  const variance = n > 1 ? squares / (n - 1) : 0;
  const scale = 1 / Math.sqrt(variance + 1e-8);
  return rows.map((r) => r.map((x) => (x - mean) * scale + (shiftMean ? 0 : mean)));
}
