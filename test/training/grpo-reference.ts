import type { HfModelConfig } from '@aligntune/core';
import { referenceForward, tokenLogProbs, type RefWeights } from '../models/reference/reference-forward.js';
import { auxiliaryLoss } from './reference-losses.js';

/** One completion of the replay file, tokenized independently (prompt with special tokens, completion + EOS). */
export interface RefSample {
  readonly prompt: readonly number[];
  readonly completion: readonly number[];
}

export interface RefGrpoOptions {
  readonly lossType: 'grpo' | 'bnpo' | 'dr_grpo' | 'dapo';
  readonly level: 'token' | 'sequence';
  readonly epsilon: number;
  readonly epsilonHigh: number;
  readonly delta?: number;
  readonly beta: number;
  readonly temperature: number;
  readonly maxCompletionLength: number;
}

/** Each completion token's log-prob (float64 reference forward, logits / temperature). */
export function completionTokenLogps(config: HfModelConfig, weights: RefWeights, samples: readonly RefSample[], temperature: number): number[][] {
  return samples.map(({ prompt, completion }) => {
    const ids = [...prompt, ...completion];
    const logp = tokenLogProbs(referenceForward(config, weights, { inputIds: [ids] }).logits[0]!, ids, temperature);
    return Array.from(logp.subarray(prompt.length));
  });
}

/** TRL's group advantages from the formulas: (R − mean_g) / (Bessel std_g + 1e-4), or R − mean_g for `none`. */
export function refAdvantages(rewards: readonly number[], G: number, scale: 'group' | 'none'): number[] {
  return rewards.map((r, i) => {
    const group = rewards.slice(i - (i % G), i - (i % G) + G);
    const mean = group.reduce((a, b) => a + b, 0) / G;
    const std = Math.sqrt(group.reduce((s, v) => s + (v - mean) ** 2, 0) / (G - 1));
    return scale === 'group' ? (r - mean) / (std + 1e-4) : r - mean;
  });
}

/**
 * The GRPO-family loss in plain float64, straight from the formulas: per token
 * −min(ρA, clip(ρ, 1−ε, 1+ε_high)A) + β(exp(d) − d − 1), aggregated by the loss type. `old` and `ref` are fixed
 * per-token log-probs (the starting weights'), so the gradient is the one TRL's detached ratios give.
 */
export function refGrpoLoss(config: HfModelConfig, weights: RefWeights, samples: readonly RefSample[], advantages: readonly number[], old: number[][], ref: number[][], o: RefGrpoOptions): number {
  const logps = completionTokenLogps(config, weights, samples, o.temperature);
  const perSequence: number[] = [];
  let sum = 0;
  let tokens = 0;
  logps.forEach((lp, i) => {
    const logRatios = lp.map((x, t) => x - old[i]![t]!);
    const seqLogRatio = logRatios.reduce((a, b) => a + b, 0) / logRatios.length;
    const A = advantages[i]!;
    let s = 0;
    lp.forEach((x, t) => {
      const rho = Math.exp(o.level === 'token' ? logRatios[t]! : seqLogRatio);
      const capped = o.delta === undefined ? rho : Math.min(rho, o.delta);
      const clipped = Math.min(Math.max(rho, 1 - o.epsilon), 1 + o.epsilonHigh);
      const d = ref[i]![t]! - x;
      s += -Math.min(capped * A, clipped * A) + o.beta * (Math.exp(d) - d - 1);
    });
    perSequence.push(s / lp.length);
    sum += s;
    tokens += lp.length;
  });
  return aggregate(o, perSequence, sum, tokens) + auxiliaryLoss(config, weights, samples);
}

/** The loss type's mean of the per-token losses: over sequences, over tokens, or over rows × max_completion_length. */
function aggregate(o: RefGrpoOptions, perSequence: readonly number[], sum: number, tokens: number): number {
  switch (o.lossType) {
    case 'grpo':
      return perSequence.reduce((a, b) => a + b, 0) / perSequence.length;
    case 'bnpo':
    case 'dapo': // one micro-batch per generation batch: the generation batch's tokens are the micro-batch's
      return sum / tokens;
    case 'dr_grpo':
      return sum / (perSequence.length * o.maxCompletionLength);
  }
}
