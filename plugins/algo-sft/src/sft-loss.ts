import { type Graph, type Tensor } from '@aligntune/core/engine';
import { tokenStatistics } from '@aligntune/core/models';

export interface SftLossGraph {
  /** Σ over masked tokens of −log p / number of masked tokens: one token mean over the whole micro-batch. */
  loss: Tensor;
  /** Fraction of masked tokens that are the argmax prediction (TRL's mean_token_accuracy). */
  meanTokenAccuracy: Tensor;
}

/**
 * The SFT loss on logits [b, seq, vocab]: `lossMask` [b, seq] (float) selects the tokens trained on, aligned
 * with input_ids (column t = token t predicted from position t − 1; column 0 is never predicted).
 */
export function sftLoss(g: Graph, logits: Tensor, inputIds: Tensor, lossMask: Tensor): SftLossGraph {
  const { logps: logp, maxLogps: best } = tokenStatistics(g, logits, inputIds, { maxLogps: true });
  const mask = g.cast(lossMask, logp.dtype);
  const count = g.reduceSum(mask);
  const loss = g.div(g.neg(g.reduceSum(g.mul(logp, mask))), count);
  // the token is the argmax when its log-prob equals the row's maximum (ties count as hits)
  const hit = g.cast(g.greaterOrEqual(g.stopGradient(logp), best!), logp.dtype);
  const meanTokenAccuracy = g.div(g.reduceSum(g.mul(hit, mask)), count);
  return { loss, meanTokenAccuracy };
}
