import type { Graph, Tensor } from '@aligntune/core/engine';
import type { DpoLossType } from './dpo-options.js';

/** Sequence log-probs of the chosen and rejected completions, [pairs] each. */
export interface PairLogps {
  readonly chosen: Tensor;
  readonly rejected: Tensor;
}

export interface DpoLossInputs {
  readonly policy: PairLogps;
  readonly reference: PairLogps;
  /** Completion lengths (tokens, EOS included), needed by `ipo`. */
  readonly lengths?: PairLogps;
}

export interface DpoLossSettings {
  readonly beta: number;
  readonly lossType: DpoLossType;
  readonly labelSmoothing: number;
}

export interface DpoLossGraph {
  /** Mean over the pairs. */
  readonly loss: Tensor;
  /** TRL's names: rewards/chosen, rewards/rejected, rewards/accuracies, rewards/margins, logps/chosen, logps/rejected. */
  readonly metrics: Record<string, Tensor>;
}

/**
 * The DPO family's losses on sequence log-probs, as TRL's DPOTrainer defines them. With u = log πθ(y) −
 * log π_ref(y) and Δ = u_chosen − u_rejected:
 *   sigmoid  −(1−ε)·log σ(βΔ) − ε·log σ(−βΔ)
 *   hinge    relu(1 − βΔ)
 *   ipo      (Δ' − 1/(2β))², Δ' from log-probs divided by completion length
 *   robust   (−(1−ε)·log σ(βΔ) + ε·log σ(−βΔ)) / (1 − 2ε)
 */
export function dpoLoss(g: Graph, inputs: DpoLossInputs, settings: DpoLossSettings): DpoLossGraph {
  const { beta, lossType, labelSmoothing: eps } = settings;
  const policy = lossType === 'ipo' ? perToken(g, inputs.policy, inputs.lengths) : inputs.policy;
  const reference = lossType === 'ipo' ? perToken(g, inputs.reference, inputs.lengths) : inputs.reference;
  const uChosen = g.sub(policy.chosen, reference.chosen);
  const uRejected = g.sub(policy.rejected, reference.rejected);
  const delta = g.sub(uChosen, uRejected);
  const z = g.mul(delta, beta);
  const losses = perPairLoss(g, lossType, delta, z, beta, eps);
  return { loss: g.reduceMean(losses), metrics: dpoMetrics(g, policy, uChosen, uRejected, beta) };
}

function perPairLoss(g: Graph, lossType: DpoLossType, delta: Tensor, z: Tensor, beta: number, eps: number): Tensor {
  switch (lossType) {
    case 'sigmoid':
      return smoothed(g, z, 1 - eps, eps);
    case 'robust':
      return g.div(smoothed(g, z, 1 - eps, -eps), 1 - 2 * eps);
    case 'hinge':
      return g.relu(g.sub(1, z));
    case 'ipo': {
      const d = g.sub(delta, 1 / (2 * beta));
      return g.mul(d, d);
    }
  }
}

/** −a·log σ(z) − b·log σ(−z), dropping a zero term so the plain loss has no extra nodes. */
function smoothed(g: Graph, z: Tensor, a: number, b: number): Tensor {
  const main = g.mul(g.logSigmoid(z), -a);
  return b === 0 ? main : g.sub(main, g.mul(g.logSigmoid(g.neg(z)), b));
}

function perToken(g: Graph, logps: PairLogps, lengths: PairLogps | undefined): PairLogps {
  if (!lengths) throw new Error('the ipo loss needs completion lengths');
  return { chosen: g.div(logps.chosen, lengths.chosen), rejected: g.div(logps.rejected, lengths.rejected) };
}

function dpoMetrics(g: Graph, policy: PairLogps, uChosen: Tensor, uRejected: Tensor, beta: number): Record<string, Tensor> {
  const chosen = g.stopGradient(g.mul(uChosen, beta));
  const rejected = g.stopGradient(g.mul(uRejected, beta));
  return {
    'rewards/chosen': g.reduceMean(chosen),
    'rewards/rejected': g.reduceMean(rejected),
    'rewards/accuracies': g.reduceMean(g.cast(g.greater(chosen, rejected), chosen.dtype)),
    'rewards/margins': g.reduceMean(g.sub(chosen, rejected)),
    'logps/chosen': g.reduceMean(g.stopGradient(policy.chosen)),
    'logps/rejected': g.reduceMean(g.stopGradient(policy.rejected)),
  };
}
