import type { HfModelConfig } from '@aligntune/core';
import type { RefWeights } from '../models/reference/reference-forward.js';
import { completionTokenLogps, type RefSample } from './grpo-reference.js';

export { completionTokenLogps, type RefSample };

/**
 * TRL's RLOOTrainer written from its formulas in plain float64 loops (docs/algorithms/rloo.md), independent of the
 * plugin, with TRL's own batch layout: the rollout batch is k blocks of the same P prompts (queries.repeat(k)),
 * so the k samples of prompt p sit at p, P + p, 2P + p... Our replay file lists each prompt's k rows
 * consecutively; `toTrl`/`fromTrl` convert.
 */
export interface RefRlooOptions {
  readonly k: number;
  readonly klCoef: number;
  readonly tokenLevelKl: boolean;
  readonly normalizeAdvantage: boolean;
  readonly cliprange: number;
  readonly temperature: number;
}

/** Row r of the file (prompt ⌊r/k⌋, sample r mod k) is row (r mod k)·P + ⌊r/k⌋ of TRL's batch. */
const trlIndex = (row: number, k: number, prompts: number) => (row % k) * prompts + Math.floor(row / k);

/** The advantages of the file's rows, computed in TRL's layout from scores, old and reference log-probs. */
export function refRlooAdvantages(scores: readonly number[], old: number[][], ref: number[][], o: RefRlooOptions): { advantages: number[]; kl: number[][] } {
  const n = scores.length;
  const P = n / o.k;
  // TRL's tensors: row i of its batch is file row `fileRow[i]`
  const fileRow: number[] = new Array<number>(n);
  for (let r = 0; r < n; r++) fileRow[trlIndex(r, o.k, P)] = r;
  const kl = fileRow.map((r) => old[r]!.map((lp, t) => lp - ref[r]![t]!));
  const rlhf = fileRow.map((r, i) => {
    if (o.tokenLevelKl) {
      const klReward = kl[i]!.map((x) => -o.klCoef * x);
      const lastReward = klReward.map((_, t) => (t === klReward.length - 1 ? scores[r]! : 0));
      return klReward.reduce((s, x, t) => s + x + lastReward[t]!, 0);
    }
    return scores[r]! - o.klCoef * kl[i]!.reduce((a, b) => a + b, 0);
  });
  // rlhf.reshape(k, -1); baseline = (sum over dim 0 − rlhf) / (k − 1)
  const column = (i: number) => Array.from({ length: o.k }, (_, j) => rlhf[j * P + (i % P)]!);
  let advantages = rlhf.map((R, i) => R - (column(i).reduce((a, b) => a + b, 0) - R) / (o.k - 1));
  if (o.normalizeAdvantage) {
    const mean = advantages.reduce((a, b) => a + b, 0) / n;
    const std = Math.sqrt(advantages.reduce((s, a) => s + (a - mean) ** 2, 0) / (n - 1));
    advantages = advantages.map((a) => (a - mean) / (std + 1e-8));
  }
  // back to the file's order
  return { advantages: scores.map((_, r) => advantages[trlIndex(r, o.k, P)]!), kl: scores.map((_, r) => kl[trlIndex(r, o.k, P)]!) };
}

/** One micro-batch's loss: mean over its rows of max(−A·ρ, −A·clip(ρ, 1 ± cliprange)), ρ = exp(Σ_t log πθ − Σ_t log π_old). */
export function refRlooLoss(config: HfModelConfig, weights: RefWeights, samples: readonly RefSample[], rows: readonly number[], advantages: readonly number[], old: number[][], o: RefRlooOptions): number {
  const logps = completionTokenLogps(config, weights, rows.map((r) => samples[r]!), o.temperature);
  const losses = rows.map((r, i) => {
    const ratio = Math.exp(logps[i]!.reduce((a, b) => a + b, 0) - old[r]!.reduce((a, b) => a + b, 0));
    const A = advantages[r]!;
    const clipped = Math.min(Math.max(ratio, 1 - o.cliprange), 1 + o.cliprange);
    return Math.max(-A * ratio, -A * clipped);
  });
  return losses.reduce((a, b) => a + b, 0) / losses.length;
}
