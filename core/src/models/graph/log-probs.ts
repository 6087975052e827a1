import { gatedOn } from '../../engine/autodiff/recompute.js';
import type { Graph } from '../../engine/ir/graph.js';
import type { Tensor } from '../../engine/ir/tensor.js';
import { lmHeadOf, VOCAB_CHUNK, type LmHead } from './lm-head.js';

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

/** What `tokenStatistics` computes besides the log-probs. */
export interface TokenStatisticsOptions {
  /** Divides the logits (the sampling temperature; default 1). */
  readonly temperature?: number;
  /** The entropy of each predicting distribution. */
  readonly entropy?: boolean;
  /** The largest log-prob of each predicting distribution (the argmax token's), without a gradient. */
  readonly maxLogps?: boolean;
}

/** Per-token statistics [batch, seq], aligned with input_ids (column 0 = 0). */
export interface TokenStatistics {
  /** log p(input_ids[t] | input_ids[<t]). */
  readonly logps: Tensor;
  readonly entropy?: Tensor;
  readonly maxLogps?: Tensor;
}

/**
 * Everything an algorithm's loss reads from the logits, in one pass over the vocabulary. Under gradient
 * checkpointing, logits made by the LM head (`lmHeadOf`) are never built whole: the head and the log-softmax run in
 * vocabulary chunks, each a recompute segment, so that one chunk's [batch, seq, chunk] values are alive at a time in
 * the forward and in the backward (what Liger's fused linear cross-entropy does for the memory). Ask for every
 * statistic in one call: a second call on the same logits would keep the first one's chunks alive.
 */
export function tokenStatistics(g: Graph, logits: Tensor, inputIds: Tensor, options: TokenStatisticsOptions = {}): TokenStatistics {
  const temperature = options.temperature ?? 1;
  if (!(temperature > 0)) throw new Error(`temperature must be positive, got ${temperature}`);
  // next[t] = input_ids[t + 1]; the last column (no next token) reads id 0 and is dropped by the shift.
  const next = g.pad(g.slice(inputIds, 1, 1), [0, 0, 0, 1]);
  const head = lmHeadOf(logits);
  const stats = head && head.vocabSize > VOCAB_CHUNK ? chunkedStatistics(g, head, next, temperature, options) : wholeStatistics(g, logits, next, temperature, options);
  return {
    logps: alignToTokens(g, stats.logps),
    ...(stats.entropy && { entropy: alignToTokens(g, stats.entropy) }),
    ...(stats.maxLogps && { maxLogps: alignToTokens(g, g.stopGradient(stats.maxLogps)) }),
  };
}

/** The statistics from the whole [batch, seq, vocab] log-softmax, unaligned. */
function wholeStatistics(g: Graph, logits: Tensor, next: Tensor, temperature: number, options: TokenStatisticsOptions): TokenStatistics {
  const logp = logProbsOf(g, logits, temperature);
  return {
    logps: g.squeeze(g.gatherElements(logp, g.unsqueeze(next, [2]), 2), [2]),
    ...(options.entropy && { entropy: entropyOf(g, logp) }),
    ...(options.maxLogps && { maxLogps: g.reduceMax(logp, [-1]) }),
  };
}

/**
 * The statistics from vocabulary chunks of the head, unaligned. Chunk j gives, per position, its largest logit m_j
 * (a constant shift, no gradient), s_j = Σ exp(l − m_j), the next token's logit where it falls in the chunk (else
 * 0) and, for the entropy, u_j = Σ exp(l − m_j)·(l − m_j); these combine into log Z = M + log Σ_j s_j·exp(m_j − M)
 * (M = max_j m_j), log p = logit − log Z and H = Σ_j w_j·(s_j·(log Z − m_j) − u_j) with w_j = exp(m_j − log Z).
 * Chunk j reads the hidden states only once chunk j − 1 is done, so the forward runs the chunks one after the other.
 */
function chunkedStatistics(g: Graph, head: LmHead, next: Tensor, temperature: number, options: TokenStatisticsOptions): TokenStatistics {
  const width = VOCAB_CHUNK;
  const chunks: Tensor[][] = [];
  let previous: Tensor | undefined;
  for (const [j, weightAfter] of head.chunkWeights(g, width).entries()) {
    // one [batch, seq, k] output per chunk: nothing outside reads its vocabulary-wide values
    const stacked = g.inSegment('checkpointing', () => {
      const hidden = previous ? gatedOn(g, head.hidden, previous) : head.hidden;
      const stats = chunkStatistics(g, g.div(head.logits(g, hidden, weightAfter(hidden)), temperature), g.sub(next, j * width), options);
      return g.concat(stats.map((t) => g.unsqueeze(t, [2])), 2);
    });
    chunks.push(Array.from({ length: stacked.shape[2] as number }, (_, k) => g.squeeze(g.slice(stacked, 2, k, k + 1), [2])));
    previous = stacked;
  }
  const [m, s, picked] = [0, 1, 2].map((k) => chunks.map((c) => c[k]!));
  const top = m.reduce((a, b) => g.max(a, b));
  const logZ = g.add(top, g.log(s.map((sj, j) => g.mul(sj, g.exp(g.sub(m[j]!, top)))).reduce((a, b) => g.add(a, b))));
  const entropy = () =>
    chunks
      .map(([mj, sj, , uj]) => g.mul(g.exp(g.sub(mj!, logZ)), g.sub(g.mul(sj!, g.sub(logZ, mj!)), uj!)))
      .reduce((a, b) => g.add(a, b));
  return {
    logps: g.sub(picked.reduce((a, b) => g.add(a, b)), logZ),
    ...(options.entropy && { entropy: entropy() }),
    ...(options.maxLogps && { maxLogps: g.sub(top, logZ) }),
  };
}

/**
 * One chunk's [batch, seq] statistics from its logits [batch, seq, width] and the next token's index into the chunk
 * (out of range: not in it): m, s, the picked logit, and u when the entropy is asked for.
 */
function chunkStatistics(g: Graph, logits: Tensor, local: Tensor, options: TokenStatisticsOptions): Tensor[] {
  const width = logits.shape[2] as number;
  const m = g.stopGradient(g.reduceMax(logits, [-1], true));
  const shifted = g.sub(logits, m);
  const e = g.exp(shifted);
  const inChunk = g.and(g.greaterOrEqual(local, 0), g.less(local, width));
  const index = g.where(inChunk, local, 0);
  const picked = g.where(inChunk, g.squeeze(g.gatherElements(logits, g.unsqueeze(index, [2]), 2), [2]), 0);
  const stats = [g.squeeze(m, [2]), g.reduceSum(e, [-1]), picked];
  return options.entropy ? [...stats, g.reduceSum(g.mul(e, shifted), [-1])] : stats;
}

/** log p(input_ids[t] | input_ids[<t]) as [batch, seq] (column 0 = 0). */
export function tokenLogProbs(g: Graph, logits: Tensor, inputIds: Tensor, temperature = 1): Tensor {
  return tokenStatistics(g, logits, inputIds, { temperature }).logps;
}

/**
 * Entropy of the distribution that predicts token t, as [batch, seq] (column 0 = 0), from the whole logits; a loss
 * that also needs the log-probs asks `tokenStatistics` for both, which chunks them under gradient checkpointing.
 */
export function tokenEntropy(g: Graph, logits: Tensor, temperature = 1): Tensor {
  return alignToTokens(g, entropyOf(g, logProbsOf(g, logits, temperature)));
}

/** −Σ p·log p over the last axis of a log-softmax. */
function entropyOf(g: Graph, logp: Tensor): Tensor {
  return g.neg(g.reduceSum(g.mul(g.exp(logp), logp), [-1]));
}

/** Σ_t values[:, t]·mask[:, t] → [batch] (mask: the completion mask, any numeric dtype). */
export function maskedSum(g: Graph, values: Tensor, mask: Tensor): Tensor {
  return g.reduceSum(g.mul(values, g.cast(mask, values.dtype)), [1]);
}

/** Sequence log-prob sums over a token mask: Σ_t log p(token t)·mask[t] → [batch]. */
export function sequenceLogProbs(g: Graph, logits: Tensor, inputIds: Tensor, mask: Tensor, temperature = 1): Tensor {
  return maskedSum(g, tokenLogProbs(g, logits, inputIds, temperature), mask);
}
