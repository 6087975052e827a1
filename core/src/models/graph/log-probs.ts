import type { Graph } from '../../engine/ir/graph.js';
import type { Tensor } from '../../engine/ir/tensor.js';

/**
 * Per-token log-probabilities and entropies aligned with input_ids: column t describes token t as
 * predicted by the logits at t − 1 (the conventions' alignment); column 0 has no prediction and is 0.
 * Logits are never sliced (a [batch, seq, vocab] copy): the log-softmax runs over every position and
 * only the small [batch, seq] results are shifted.
 */

/** log_softmax(logits / temperature) [batch, seq, vocab]; shared (hash-consed) by every computation on the same logits. */
export function logProbsOf(g: Graph, logits: Tensor, temperature = 1): Tensor {
  if (!(temperature > 0)) throw new Error(`temperature must be positive, got ${temperature}`);
  return g.logSoftmax(g.div(logits, temperature), -1);
}

/** x[:, t] → out[:, t + 1], out[:, 0] = 0: moves per-position values onto the token they predict. */
export function alignToTokens(g: Graph, x: Tensor): Tensor {
  return g.pad(g.slice(x, 1, 0, -1), [0, 1, 0, 0]);
}

/** log p(input_ids[t] | input_ids[<t]) as [batch, seq] (column 0 = 0). */
export function tokenLogProbs(g: Graph, logits: Tensor, inputIds: Tensor, temperature = 1): Tensor {
  const logp = logProbsOf(g, logits, temperature);
  // next[t] = input_ids[t + 1]; the last column (no next token) reads id 0 and is dropped by the shift.
  const next = g.pad(g.slice(inputIds, 1, 1), [0, 0, 0, 1]);
  const picked = g.squeeze(g.gatherElements(logp, g.unsqueeze(next, [2]), 2), [2]);
  return alignToTokens(g, picked);
}

/** Entropy of the distribution that predicts token t, as [batch, seq] (column 0 = 0). */
export function tokenEntropy(g: Graph, logits: Tensor, temperature = 1): Tensor {
  const logp = logProbsOf(g, logits, temperature);
  return alignToTokens(g, g.neg(g.reduceSum(g.mul(g.exp(logp), logp), [-1])));
}

/** Σ_t values[:, t]·mask[:, t] → [batch] (mask: the completion mask, any numeric dtype). */
export function maskedSum(g: Graph, values: Tensor, mask: Tensor): Tensor {
  return g.reduceSum(g.mul(values, g.cast(mask, values.dtype)), [1]);
}

/** Sequence log-prob sums over a token mask: Σ_t log p(token t)·mask[t] → [batch]. */
export function sequenceLogProbs(g: Graph, logits: Tensor, inputIds: Tensor, mask: Tensor, temperature = 1): Tensor {
  return maskedSum(g, tokenLogProbs(g, logits, inputIds, temperature), mask);
}
