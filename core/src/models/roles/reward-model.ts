import type { Graph } from '../../engine/ir/graph.js';
import type { Tensor } from '../../engine/ir/tensor.js';
import type { TokenInputs } from '../graph/causal-lm.js';
import type { GraphWeights, WeightMode } from '../graph/graph-weights.js';
import type { DecoderModel } from './decoder-model.js';
import { loadModel, type LoadModelOptions } from './load-model.js';

export interface RewardGraph {
  /** [batch, numLabels]: the score head at each row's last real token. */
  readonly scores: Tensor;
  readonly hidden: Tensor;
  readonly weights: GraphWeights;
}

/**
 * A `*ForSequenceClassification` model: the score at the last token whose attention_mask is 1, which
 * works for left and right padding. (transformers finds that token by `input_ids != pad_token_id`;
 * the two agree unless a real token equals the pad id, as with pad = EOS and an appended EOS, where
 * transformers would score the token before the EOS.) Frozen by default (prefix `reward.`).
 */
export class RewardModel {
  constructor(readonly model: DecoderModel) {
    if (model.config.head.kind !== 'sequence-classification') throw new Error('RewardModel needs a *ForSequenceClassification checkpoint (a score head)');
  }

  static async load(dirOrId: string, options: LoadModelOptions = {}): Promise<RewardModel> {
    return new RewardModel(await loadModel(dirOrId, options));
  }

  forward(g: Graph, inputs: TokenInputs, prefix = 'reward.', mode: WeightMode = 'initializer'): RewardGraph {
    const { hidden, weights } = this.model.forward(g, inputs, mode, prefix);
    const perToken = this.model.score(g, weights, hidden);
    return { scores: lastRealToken(g, perToken, inputs.attentionMask), hidden, weights };
  }
}

/** values [batch, seq, n] at each row's last position with mask 1 → [batch, n] (a one-hot contraction: differentiable, no index math). */
export function lastRealToken(g: Graph, values: Tensor, attentionMask: Tensor): Tensor {
  const seq = attentionMask.shape[1]!;
  const positions = g.cast(g.arange(seq), values.dtype);
  const last = g.reduceMax(g.mul(g.cast(attentionMask, values.dtype), positions), [1], true);
  const onehot = g.cast(g.equal(positions, last), values.dtype);
  return g.reduceSum(g.mul(values, g.unsqueeze(onehot, [2])), [1]);
}
