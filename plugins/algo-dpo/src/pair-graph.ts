import { type Graph, type Tensor } from '@aligntune/core/engine';
import {
  declareTokenInputs,
  REFERENCE_PREFIX,
  sequenceLogProbs,
  type DecoderModel,
  type TokenInputs,
} from '@aligntune/core/models';
import type { PairLogps } from './dpo-loss.js';

/** The batch dim of a concatenated pair batch: 2 × pairs rows, chosen rows first. Static halving needs the factor in the symbol. */
export const PAIR_ROWS = '2*pairs';
export const COMPLETION_MASK = 'completion_mask';
export const REF_CHOSEN = 'ref_chosen_logps';
export const REF_REJECTED = 'ref_rejected_logps';

export interface PairInputs {
  readonly tokens: TokenInputs;
  /** [2·pairs, seq] float, 1 on completion tokens (EOS included). */
  readonly completionMask: Tensor;
}

export function declarePairInputs(g: Graph): PairInputs {
  return { tokens: declareTokenInputs(g, '', PAIR_ROWS), completionMask: g.input(COMPLETION_MASK, 'float32', [PAIR_ROWS, 'seq']) };
}

/** [2·pairs] → chosen (first half) and rejected (second half), [pairs] each. */
export function splitPairs(g: Graph, x: Tensor): PairLogps {
  const halves = g.reshape(x, [2, -1]);
  return { chosen: g.squeeze(g.slice(halves, 0, 0, 1), [0]), rejected: g.squeeze(g.slice(halves, 0, 1, 2), [0]) };
}

/** Σ completion log-probs of each row under `logits`, as chosen/rejected halves. */
export function pairLogps(g: Graph, logits: Tensor, inputs: PairInputs): PairLogps {
  return splitPairs(g, sequenceLogProbs(g, logits, inputs.tokens.inputIds, inputs.completionMask));
}

/** Completion lengths (tokens, EOS included) of each row, as halves (IPO's |y|). */
export function pairLengths(g: Graph, inputs: PairInputs): PairLogps {
  return splitPairs(g, g.reduceSum(inputs.completionMask, [1]));
}

/** The frozen reference's log-probs, computed in the same graph (weights fed as `ref.`-prefixed inputs, no gradient). */
export function referencePairLogps(g: Graph, reference: DecoderModel, inputs: PairInputs): PairLogps {
  const { hidden, weights } = reference.forward(g, inputs.tokens, 'input', REFERENCE_PREFIX);
  const logps = sequenceLogProbs(g, reference.lmLogits(g, weights, hidden), inputs.tokens.inputIds, inputs.completionMask);
  return splitPairs(g, g.stopGradient(logps));
}
