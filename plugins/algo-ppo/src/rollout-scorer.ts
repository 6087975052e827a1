import {
  REFERENCE_PREFIX,
  declareTokenInputs,
  emitModel,
  encodeModel,
  Graph,
  hostValues,
  tokenFeeds,
  tokenLogProbs,
  type CompiledGraph,
  type DecoderModel,
  type GraphExecutor,
  type HostTensor,
  type PolicyModel,
  type RewardModel,
  type SequenceBatch,
  type Tensor,
  type ValueModel,
} from '@aligntune/core';

/** Graph-name prefixes of the models' weights: the value model is trained (session params), the others are frozen feeds. */
export const VALUE_PREFIX = 'value.';
export const REWARD_PREFIX = 'reward.';

export interface ScorerModels {
  readonly policy: PolicyModel;
  readonly reference: DecoderModel;
  readonly value: ValueModel;
  /** Scores the completions when set (model.reward_path). */
  readonly reward?: RewardModel;
  readonly temperature: number;
}

/** [rows × length] outputs, aligned with input_ids; rewardScores [rows] when there is a reward model. */
export interface ScoredBatch {
  readonly logps: Float32Array;
  readonly refLogps: Float32Array;
  readonly values: Float32Array;
  readonly rewardScores?: Float32Array;
}

/**
 * One forward of every model over a rollout micro-batch: the rollout-time policy's log-probs, the reference's
 * log-probs (both from logits / temperature), the value model's token values and the reward model's score at
 * each row's last token. Weights are fed, so the current policy and value weights are used without recompiling.
 */
export class RolloutScorer {
  private constructor(
    private readonly graph: CompiledGraph,
    private readonly frozenFeeds: Record<string, HostTensor>,
  ) {}

  static async create(executor: GraphExecutor, models: ScorerModels): Promise<RolloutScorer> {
    const g = new Graph('ppo-rollout-scores');
    const inputs = declareTokenInputs(g);
    const logp = (logits: Tensor) => tokenLogProbs(g, logits, inputs.inputIds, models.temperature);
    const ref = models.reference.forward(g, inputs, 'input', REFERENCE_PREFIX);
    const outputs: Record<string, Tensor> = {
      logps: logp(models.policy.forward(g, inputs).logits),
      refLogps: logp(models.reference.lmLogits(g, ref.weights, ref.hidden)),
      values: models.value.forward(g, inputs, VALUE_PREFIX, 'input').tokenValues,
    };
    const frozen: Record<string, HostTensor> = { ...models.reference.namedWeights(REFERENCE_PREFIX) };
    if (models.reward) {
      outputs.rewardScores = g.squeeze(models.reward.forward(g, inputs, REWARD_PREFIX, 'input').scores, [1]);
      Object.assign(frozen, models.reward.model.namedWeights(REWARD_PREFIX));
    }
    const compiled = await executor.compile(encodeModel(emitModel(g, { outputs })), { label: 'ppo rollout scores' });
    return new RolloutScorer(compiled, frozen);
  }

  /** `params`: the session's current policy and value weights. */
  async score(batch: SequenceBatch, params: Readonly<Record<string, HostTensor>>): Promise<ScoredBatch> {
    const all: Record<string, HostTensor> = { ...params, ...this.frozenFeeds, ...tokenFeeds(batch) };
    const out = await this.graph.run(Object.fromEntries(this.graph.inputNames.map((n) => [n, all[n]!])));
    const values = (name: string) => Float32Array.from(hostValues(out[name]!));
    return {
      logps: values('logps'),
      refLogps: values('refLogps'),
      values: values('values'),
      ...(out.rewardScores ? { rewardScores: values('rewardScores') } : {}),
    };
  }

  dispose(): Promise<void> {
    return this.graph.dispose();
  }
}
