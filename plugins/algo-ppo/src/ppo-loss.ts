import { type Graph, type Tensor } from '@aligntune/core/engine';
import { maskedMean, type LossGraph } from '@aligntune/core/training';

/** Per-token quantities of one micro-batch, [b, seq] aligned with input_ids (column t = token t). */
export interface PpoLossInputs {
  /** log πθ from logits / temperature. */
  readonly logp: Tensor;
  /** log π_old: the rollout-time policy's log-probs (fed). */
  readonly oldLogp: Tensor;
  /** Vθ of each token (the value head at position t − 1). */
  readonly values: Tensor;
  /** V_old: the rollout-time values (fed). */
  readonly oldValues: Tensor;
  /** Whitened advantages and returns = A + V_old (fed). */
  readonly advantages: Tensor;
  readonly returns: Tensor;
  /** 1 on the completion tokens trained on. */
  readonly mask: Tensor;
  /** Per-token entropy of the policy, for policy/entropy_avg. */
  readonly entropy: Tensor;
}

export interface PpoLossSettings {
  readonly cliprange: number;
  readonly cliprangeValue: number;
  readonly vfCoef: number;
}

/**
 * TRL's PPO loss over one micro-batch, masked means over its valid tokens:
 * pg = mean(max(−A·ρ, −A·clip(ρ, 1 ± cliprange))), ρ = exp(log πθ − log π_old);
 * vf = ½·mean(max((V − R)², (clip(V, V_old ± cliprange_value) − R)²)); loss = pg + vf_coef·vf.
 */
export function ppoLoss(g: Graph, inputs: PpoLossInputs, settings: PpoLossSettings): LossGraph {
  const { mask, advantages: A, returns: R, values: V, oldValues } = inputs;
  const logRatio = g.sub(inputs.logp, inputs.oldLogp);
  const ratio = g.exp(logRatio);
  const pgUnclipped = g.neg(g.mul(A, ratio));
  const pgClipped = g.neg(g.mul(A, g.clip(ratio, 1 - settings.cliprange, 1 + settings.cliprange)));
  const pg = maskedMean(g, g.max(pgUnclipped, pgClipped), mask);
  const vClipped = g.min(g.max(V, g.sub(oldValues, settings.cliprangeValue)), g.add(oldValues, settings.cliprangeValue));
  const vfUnclipped = square(g, g.sub(V, R));
  const vfClipped = square(g, g.sub(vClipped, R));
  const vf = g.mul(maskedMean(g, g.max(vfUnclipped, vfClipped), mask), 0.5);
  const loss = g.add(pg, g.mul(vf, settings.vfCoef));
  const fraction = (flags: Tensor) => maskedMean(g, g.cast(flags, 'float32'), mask);
  const detached = (x: Tensor) => g.stopGradient(x);
  return {
    loss,
    metrics: {
      'loss/policy_avg': detached(pg),
      'loss/value_avg': detached(vf),
      'policy/approxkl_avg': g.mul(maskedMean(g, detached(square(g, logRatio)), mask), 0.5),
      'policy/clipfrac_avg': fraction(g.greater(detached(pgClipped), detached(pgUnclipped))),
      'policy/entropy_avg': maskedMean(g, detached(inputs.entropy), mask),
      'val/clipfrac_avg': fraction(g.greater(detached(vfClipped), detached(vfUnclipped))),
      'val/ratio': maskedMean(g, detached(ratio), mask),
    },
  };
}

function square(g: Graph, x: Tensor): Tensor {
  return g.mul(x, x);
}
