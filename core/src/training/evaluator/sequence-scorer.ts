import { compileWithSharedWeights } from '../../engine/compile-with-shared-weights.js';
import type { SequenceBatch } from '../../data/collate.js';
import type { CompiledGraph, GraphExecutor, HostTensor } from '../../engine/graph-executor.js';
import { hostValues } from '../../engine/interpret/nd-array.js';
import { Graph } from '../../engine/ir/graph.js';
import type { Tensor } from '../../engine/ir/tensor.js';
import { emitModel } from '../../engine/onnx/emit-model.js';
import { declareTokenInputs, type TokenInputs } from '../../models/graph/causal-lm.js';
import type { GraphWeights } from '../../models/graph/graph-weights.js';
import { sequenceLogProbs } from '../../models/graph/log-probs.js';
import type { DecoderModel } from '../../models/roles/decoder-model.js';
import { REFERENCE_PREFIX } from '../../models/roles/policy-model.js';
import { RewardModel } from '../../models/roles/reward-model.js';
import { float32Tensor, tokenFeeds } from '../batch-feeds.js';

const COMPLETION_MASK = 'completion_mask';

/** Per row of a batch: the policy's value and, with a reference, the reference's log-prob sum. */
export interface RowScores {
  /** Σ completion-token log π (causal LM), or the reward model's score. */
  readonly policy: Float64Array;
  /** Σ completion-token log π_ref. */
  readonly reference?: Float64Array;
}

/**
 * One compiled forward over right-padded prompt + completion rows: for a causal LM the completion log-prob
 * sums (sequenceLogProbs, the training graphs' own) of the model and of the reference, for a
 * *ForSequenceClassification model its score at the last real token (RewardModel). Weights are graph inputs
 * fed from the models' host maps at every run, so new weights are seen without recompiling.
 */
export class SequenceScorer {
  private constructor(
    private readonly graph: CompiledGraph,
    private readonly weights: readonly GraphWeights[],
  ) {}

  static async create(executor: GraphExecutor, model: DecoderModel, reference?: DecoderModel): Promise<SequenceScorer> {
    const g = new Graph('eval-scores');
    const inputs = declareTokenInputs(g);
    const mask = g.input(COMPLETION_MASK, 'float32', ['batch', 'seq']);
    const weights: GraphWeights[] = [];
    const outputs: Record<string, Tensor> = {};
    const head = model.config.head;
    if (head.kind === 'sequence-classification') {
      if (head.numLabels !== 1) throw new Error(`scoring preferences needs a reward model with one output; this score head has ${head.numLabels} labels`);
      const rm = new RewardModel(model).forward(g, inputs, '', 'input');
      weights.push(rm.weights);
      outputs.policy = g.squeeze(rm.scores, [1]);
    } else {
      outputs.policy = completionLogps(g, model, inputs, mask, '', weights);
      if (reference) outputs.reference = completionLogps(g, reference, inputs, mask, REFERENCE_PREFIX, weights);
    }
    return new SequenceScorer(await compileWithSharedWeights(executor, emitModel(g, { outputs, name: 'eval-scores' }), { label: 'evaluation scores' }), weights);
  }

  async score(batch: SequenceBatch): Promise<RowScores> {
    const feeds: Record<string, HostTensor> = { ...tokenFeeds(batch), [COMPLETION_MASK]: float32Tensor(batch.completionMask, [batch.rows, batch.length]) };
    for (const w of this.weights) Object.assign(feeds, w.feeds());
    const out = await this.graph.run(Object.fromEntries(this.graph.inputNames.map((n) => [n, feeds[n]!])));
    return { policy: hostValues(out.policy!), reference: out.reference ? hostValues(out.reference) : undefined };
  }

  dispose(): Promise<void> {
    return this.graph.dispose();
  }
}

export function isRewardModel(model: DecoderModel): boolean {
  return model.config.head.kind === 'sequence-classification';
}

function completionLogps(g: Graph, model: DecoderModel, inputs: TokenInputs, mask: Tensor, prefix: string, bound: GraphWeights[]): Tensor {
  const { hidden, weights } = model.forward(g, inputs, 'input', prefix);
  bound.push(weights);
  return sequenceLogProbs(g, model.lmLogits(g, weights, hidden), inputs.inputIds, mask);
}
