import { type Graph, type Tensor } from '@aligntune/core/engine';
import { declareTokenInputs, type RewardModel, type TokenInputs, type WeightMode } from '@aligntune/core/models';
import type { PairRewards } from './reward-loss.js';

/** The batch dim of a concatenated pair batch: 2 × pairs rows, chosen rows first. Static halving needs the factor in the symbol. */
export const PAIR_ROWS = '2*pairs';
/** Graph input of the per-pair margins, [pairs] (not `margin`: that is a metric output's name). */
export const MARGIN = 'pair_margins';

/** Token inputs of a concatenated pair batch ([2·pairs, seq], chosen rows first). */
export function declarePairTokens(g: Graph, prefix = ''): TokenInputs {
  return declareTokenInputs(g, prefix, PAIR_ROWS);
}

export function declareMargin(g: Graph): Tensor {
  return g.input(MARGIN, 'float32', ['pairs']);
}

/**
 * Scores every row of a pair batch in one forward (the score at each row's last real token) and splits
 * them into chosen and rejected halves. Trainable weights by default (graph names = canonical names).
 */
export function pairRewards(g: Graph, model: RewardModel, inputs: TokenInputs, prefix = '', mode: WeightMode = 'input'): PairRewards {
  const { scores } = model.forward(g, inputs, prefix, mode);
  const halves = g.reshape(g.squeeze(scores, [1]), [2, -1]);
  return { chosen: g.squeeze(g.slice(halves, 0, 0, 1), [0]), rejected: g.squeeze(g.slice(halves, 0, 1, 2), [0]) };
}
