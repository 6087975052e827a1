import type { HfModelConfig } from '@aligntune/core';
import type { MoeConfig } from '@aligntune/plugin-arch-moe';
import { referenceForward, tokenLogProbs, type RefWeights } from '../models/reference/reference-forward.js';
import { refRouterAuxLoss } from '../models/reference/ref-router-loss.js';

/** A tokenized example as the conventions define it: prompt ids (with special tokens), completion ids + EOS. */
export interface RefSequence {
  readonly prompt: readonly number[];
  readonly completion: readonly number[];
}

/** Σ of the completion tokens' log-probs (float64 reference forward), one sequence at a time. */
export function completionLogps(config: HfModelConfig, weights: RefWeights, seqs: readonly RefSequence[]): number[] {
  return seqs.map(({ prompt, completion }) => {
    const ids = [...prompt, ...completion];
    const logits = referenceForward(config, weights, { inputIds: [ids] }).logits[0]!;
    const logp = tokenLogProbs(logits, ids);
    let sum = 0;
    for (let t = prompt.length; t < ids.length; t++) sum += logp[t]!;
    return sum;
  });
}

/** SFT: −Σ completion log-probs / number of completion tokens, over the whole batch (+ the MoE auxiliary loss). */
export function refSftLoss(config: HfModelConfig, weights: RefWeights, seqs: readonly RefSequence[]): number {
  const total = completionLogps(config, weights, seqs).reduce((a, b) => a + b, 0);
  const count = seqs.reduce((n, s) => n + s.completion.length, 0);
  return -total / count + auxiliaryLoss(config, weights, seqs);
}

/**
 * What MoeForCausalLM adds to the loss with output_router_logits: router_aux_loss_coef · aux_loss over the real
 * tokens (prompt and completion) of the batch's sequences; 0 for other models.
 */
export function auxiliaryLoss(config: HfModelConfig, weights: RefWeights, seqs: readonly RefSequence[]): number {
  const coef = (config as MoeConfig).routerAuxLossCoef;
  if (coef == null) return 0;
  const inputIds = seqs.map((s) => [...s.prompt, ...s.completion]);
  return coef * refRouterAuxLoss(config as MoeConfig, weights, { inputIds, attentionMask: inputIds.map((ids) => ids.map(() => 1)) });
}

const logSigmoid = (x: number) => (x >= 0 ? -Math.log1p(Math.exp(-x)) : x - Math.log1p(Math.exp(x)));

/** DPO per-pair losses in plain float64, straight from the formulas. */
export function refDpoPairLoss(type: string, beta: number, eps: number, uc: number, ur: number): number {
  const delta = uc - ur;
  const z = beta * delta;
  if (type === 'sigmoid') return -(1 - eps) * logSigmoid(z) - eps * logSigmoid(-z);
  if (type === 'robust') return (-(1 - eps) * logSigmoid(z) + eps * logSigmoid(-z)) / (1 - 2 * eps);
  if (type === 'hinge') return Math.max(0, 1 - z);
  if (type === 'ipo') return (delta - 1 / (2 * beta)) ** 2; // uc, ur already length-normalised
  throw new Error(type);
}

export interface RefPair {
  readonly chosen: RefSequence;
  readonly rejected: RefSequence;
}

/** The DPO loss of the policy `weights` against fixed reference log-probs, mean over the pairs. */
export function refDpoLoss(config: HfModelConfig, weights: RefWeights, pairs: readonly RefPair[], ref: { chosen: number[]; rejected: number[] }, o: { type: string; beta: number; eps: number }): number {
  const chosen = completionLogps(config, weights, pairs.map((p) => p.chosen));
  const rejected = completionLogps(config, weights, pairs.map((p) => p.rejected));
  let total = 0;
  pairs.forEach((p, i) => {
    const nc = o.type === 'ipo' ? p.chosen.completion.length : 1;
    const nr = o.type === 'ipo' ? p.rejected.completion.length : 1;
    total += refDpoPairLoss(o.type, o.beta, o.eps, (chosen[i]! - ref.chosen[i]!) / nc, (rejected[i]! - ref.rejected[i]!) / nr);
  });
  // TRL: the policy's aux loss over the concatenated chosen + rejected batch
  return total / pairs.length + auxiliaryLoss(config, weights, [...pairs.map((p) => p.chosen), ...pairs.map((p) => p.rejected)]);
}
