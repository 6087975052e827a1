import type { Graph } from '../../engine/ir/graph.js';
import type { Tensor } from '../../engine/ir/tensor.js';
import type { TokenInputs } from '../graph/causal-lm.js';
import type { GraphWeights, WeightMode } from '../graph/graph-weights.js';
import { alignToTokens } from '../graph/log-probs.js';
import type { DecoderModel } from './decoder-model.js';
import { loadModel, type LoadModelOptions } from './load-model.js';

export interface ValueGraph {
  /** score(hidden) at every position, [batch, seq]. */
  readonly values: Tensor;
  /** The value of token t read at position t − 1 (the conventions' alignment), [batch, seq], column 0 = 0. */
  readonly tokenValues: Tensor;
  readonly hidden: Tensor;
  readonly weights: GraphWeights;
}

/**
 * A backbone with a scalar `score` head per token (TRL's value model: AutoModelForSequenceClassification
 * with num_labels = 1, read at every position). Trainable by default (graph-name prefix `value.`).
 */
export class ValueModel {
  constructor(readonly model: DecoderModel) {
    if (model.config.head.kind !== 'sequence-classification' || model.config.head.numLabels !== 1) {
      throw new Error('ValueModel needs a score head with one output (load with scoreHead: { numLabels: 1 })');
    }
  }

  /** Loads a reward/value checkpoint, or a causal LM whose score head is then freshly initialised. */
  static async load(dirOrId: string, options: LoadModelOptions = {}): Promise<ValueModel> {
    return new ValueModel(await loadModel(dirOrId, { ...options, scoreHead: { numLabels: 1, ...options.scoreHead } }));
  }

  forward(g: Graph, inputs: TokenInputs, prefix = 'value.', mode: WeightMode = 'input'): ValueGraph {
    const { hidden, weights } = this.model.forward(g, inputs, mode, prefix);
    const values = g.squeeze(this.model.score(g, weights, hidden), [2]);
    return { values, tokenValues: alignToTokens(g, values), hidden, weights };
  }
}
