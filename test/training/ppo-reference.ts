import type { HfModelConfig } from '@aligntune/core';
import { referenceForward, type RefWeights } from '../models/reference/reference-forward.js';
import { completionTokenLogps, type RefSample } from './grpo-reference.js';

export { completionTokenLogps, type RefSample };

/**
 * PPO written from the formulas in plain float64 loops (docs/algorithms/ppo.md), independent of the plugin: the
 * rollout statistics (KL, per-token rewards, GAE, whitening) and the loss of one micro-batch.
 */
export interface RefPpoOptions {
  readonly temperature: number;
  readonly klCoef: number;
  readonly klEstimator: 'k1' | 'k3';
  readonly gamma: number;
  readonly lam: number;
  readonly whitenRewards: boolean;
  readonly cliprange: number;
  readonly cliprangeValue: number;
  readonly vfCoef: number;
}

/** What the rollout phase fixes for the updates: per completion token. */
export interface RefRolloutStats {
  readonly oldLogps: number[][];
  readonly oldValues: number[][];
  readonly kl: number[][];
  readonly advantages: number[][];
  readonly returns: number[][];
}

/** V of completion token k: the score head on the final hidden state at the position before it. */
export function completionTokenValues(config: HfModelConfig, weights: RefWeights, samples: readonly RefSample[]): number[][] {
  return samples.map(({ prompt, completion }) => {
    const ids = [...prompt, ...completion];
    const scores = referenceForward(config, weights, { inputIds: [ids] }).logits[0]!;
    return completion.map((_, k) => scores[prompt.length + k - 1]![0]!);
  });
}

/** Mean and unbiased variance over every token of every row. */
function tokenMoments(rows: readonly number[][]): { mean: number; variance: number } {
  let n = 0;
  let sum = 0;
  for (const row of rows) for (const x of row) (n++, (sum += x));
  const mean = sum / n;
  let squares = 0;
  for (const row of rows) for (const x of row) squares += (x - mean) * (x - mean);
  return { mean, variance: squares / (n - 1) };
}

export function refRolloutStats(oldLogps: number[][], refLogps: number[][], oldValues: number[][], scores: readonly number[], o: RefPpoOptions): RefRolloutStats {
  const kl = oldLogps.map((row, i) =>
    row.map((logp, t) => {
      const lr = refLogps[i]![t]! - logp;
      return o.klEstimator === 'k1' ? -lr : Math.exp(lr) - 1 - lr;
    }),
  );
  let rewards = kl.map((row, i) => row.map((k, t) => -o.klCoef * k + (t === row.length - 1 ? scores[i]! : 0)));
  if (o.whitenRewards) {
    const { mean, variance } = tokenMoments(rewards);
    rewards = rewards.map((row) => row.map((r) => (r - mean) / Math.sqrt(variance + 1e-8) + mean));
  }
  const raw = rewards.map((row, i) => {
    const V = oldValues[i]!;
    const A = new Array<number>(row.length);
    let last = 0;
    for (let t = row.length - 1; t >= 0; t--) {
      const delta = row[t]! + o.gamma * (t + 1 < row.length ? V[t + 1]! : 0) - V[t]!;
      last = delta + o.gamma * o.lam * last;
      A[t] = last;
    }
    return A;
  });
  const returns = raw.map((row, i) => row.map((a, t) => a + oldValues[i]![t]!));
  const { mean, variance } = tokenMoments(raw);
  const advantages = raw.map((row) => row.map((a) => (a - mean) / Math.sqrt(variance + 1e-8)));
  return { oldLogps, oldValues, kl, advantages, returns };
}

/**
 * The loss of one micro-batch (`rows`) is pg + vf_coef·vf, token means over its completion tokens; the two terms
 * depend on disjoint weights (policy, value model), so they are separate functions.
 * pg = mean max(−Aρ, −A·clip(ρ, 1 ± ε)), ρ = exp(log πθ − log π_old).
 */
export function refPolicyLoss(config: HfModelConfig, weights: RefWeights, samples: readonly RefSample[], rows: readonly number[], stats: RefRolloutStats, o: RefPpoOptions): number {
  const logps = completionTokenLogps(config, weights, rows.map((i) => samples[i]!), o.temperature);
  let sum = 0;
  let tokens = 0;
  rows.forEach((i, r) => {
    logps[r]!.forEach((logp, t) => {
      const A = stats.advantages[i]![t]!;
      const ratio = Math.exp(logp - stats.oldLogps[i]![t]!);
      const clipped = Math.min(Math.max(ratio, 1 - o.cliprange), 1 + o.cliprange);
      sum += Math.max(-A * ratio, -A * clipped);
      tokens++;
    });
  });
  return sum / tokens;
}

/** vf = ½·mean max((V − R)², (clip(V, V_old ± ε_v) − R)²). */
export function refValueLoss(config: HfModelConfig, weights: RefWeights, samples: readonly RefSample[], rows: readonly number[], stats: RefRolloutStats, o: RefPpoOptions): number {
  const values = completionTokenValues(config, weights, rows.map((i) => samples[i]!));
  let sum = 0;
  let tokens = 0;
  rows.forEach((i, r) => {
    values[r]!.forEach((V, t) => {
      const old = stats.oldValues[i]![t]!;
      const R = stats.returns[i]![t]!;
      const clipped = Math.min(Math.max(V, old - o.cliprangeValue), old + o.cliprangeValue);
      sum += Math.max((V - R) ** 2, (clipped - R) ** 2);
      tokens++;
    });
  });
  return (0.5 * sum) / tokens;
}
