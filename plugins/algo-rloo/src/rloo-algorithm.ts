import { trainOptions, type TrainingConfig, type UnifiedConfig } from '@aligntune/core/config';
import { type Graph, type RunValue } from '@aligntune/core/engine';
import { Algorithm, inject, Tokens } from '@aligntune/core/kernel';
import { declareTokenInputs, tokenStatistics } from '@aligntune/core/models';
import {
  collateRollouts,
  completionGrid,
  float32Tensor,
  onPolicyCompletionsTable,
  onPolicyMetrics,
  OnPolicySchedule,
  realTokens,
  rewardColumns,
  rewardNames,
  RolloutScorer,
  sequenceScore,
  tokenFeeds,
  type LossGraph,
  type OnlineAlgorithmContract,
  type OnlineBatch,
  type OnlineContext,
  type OnlineSettings,
  type OnPolicyRollout,
  type Rollout,
  type TrainBatch,
  withAuxiliaryLosses,
} from '@aligntune/core/training';
import { leaveOneOutAdvantages, normalizeAdvantages, rlooReturns } from './advantages.js';
import { rlooLoss } from './rloo-loss.js';
import { RlooOptions } from './rloo-options.js';

/** Names of the loss graph's rollout inputs. */
const FEEDS = { mask: 'completion_mask', oldLogps: 'old_logps', advantages: 'advantages' } as const;

type RlooRollout = OnPolicyRollout & { readonly advantage: number };

/**
 * RLOO as TRL's RLOOTrainer, on core's online layer: each rollout batch is rollout_batch_size completions, rloo_k
 * per prompt, sampled from the current policy (or read from train.rollouts_from) and scored by the reward
 * functions; each completion's return (score − kl_coef·KL) is baselined by the mean of its k − 1 siblings'; then
 * num_ppo_epochs shuffled passes of num_mini_batches optimizer steps with the clipped sequence-level ratio. See
 * RlooOptions for the formulas.
 */
@Algorithm('rloo', { options: RlooOptions, description: 'REINFORCE leave-one-out: k samples per prompt, each baselined by the other k − 1 (TRL RLOOTrainer)' })
export class RlooAlgorithm implements OnlineAlgorithmContract {
  // RLOO needs prompts only: a completion or a preference pair's answers are ignored
  readonly recordKinds = ['prompt', 'completion', 'preference'] as const;
  readonly options: TrainingConfig & RlooOptions;
  private scorer!: RolloutScorer;
  private schedule!: OnPolicySchedule;

  constructor(@inject(Tokens.Config) private readonly config: UnifiedConfig) {
    this.options = trainOptions<RlooOptions>(config);
  }

  onlineSettings(): OnlineSettings {
    const o = this.options;
    const rewards = this.config.rewards;
    return {
      sampling: { samplesPerPrompt: o.rloo_k, maxNewTokens: o.response_length, knobs: RlooOptions.samplingKnobs(o), stopAtEos: o.stop_token === 'eos' },
      promptsPerBatch: o.rollout_batch_size! / o.rloo_k, // derived and checked at validation (RlooOptions.checkConfig)
      replayScores: rewardColumns(rewardNames(rewards.map((r) => r.type)), rewards.map((r) => r.weight ?? 1)),
      groupKey: 'train.rloo_k',
      rewards,
      reference: true,
      logCompletionsSteps: o.log_completions_steps,
    };
  }

  async setup({ executor, policy, reference, sampling, share }: OnlineContext): Promise<void> {
    const o = this.options;
    // the plan cuts the global rollout batch (every rank's) into global micro-batches; each rank trains its part of each
    this.schedule = new OnPolicySchedule({ epochs: o.num_ppo_epochs, microBatchSize: o.per_device_batch_size * share.worldSize, shuffle: o.shuffle, seed: o.seed });
    this.scorer = await RolloutScorer.create(executor, { policy, reference, temperature: sampling.temperature, label: 'rloo rollout scores' });
  }

  /** Returns, leave-one-out advantages, and the num_ppo_epochs × num_mini_batches plan of micro-batches. */
  async learnFrom(rollouts: Rollout[], params: Readonly<Record<string, RunValue>>, { tokenizer, share }: OnlineContext): Promise<OnlineBatch> {
    const o = this.options;
    // every rank scores its block and holds all the scores: leave-one-out baselines and normalisation are the global batch's
    const outputs = await this.scorer.scoreCompletions(rollouts, params, { padTokenId: tokenizer.padTokenId, chunk: o.per_device_batch_size, share });
    const logps = outputs.map((out) => out.tokens.logps!);
    const kls = outputs.map((out, i) => logps[i]!.map((logp, t) => logp - out.tokens.refLogps![t]!));
    const scores = rollouts.map((r) => sequenceScore(r, null, { missingEosPenalty: o.missing_eos_penalty }));
    let advantages = leaveOneOutAdvantages(rlooReturns(scores, kls, o.kl_coef, o.token_level_kl), o.rloo_k);
    if (o.normalize_advantage) advantages = normalizeAdvantages(advantages);
    const scored: RlooRollout[] = rollouts.map((r, i) => ({ ...r, modelScore: null, score: scores[i]!, logps: logps[i]!, kl: kls[i]!, advantage: advantages[i]! }));
    const { plan, metrics } = this.schedule.next(scored.length);
    return {
      microBatches: plan.map((rows) => microBatch(share.part(rows, o.per_device_batch_size).map((i) => scored[i]!), tokenizer.padTokenId)),
      metrics: { ...onPolicyMetrics(scored, o.kl_coef, tokenizer.eosTokenId!), ...metrics },
      table: () => onPolicyCompletionsTable(scored),
    };
  }

  buildLoss(g: Graph, { policy, sampling }: OnlineContext): LossGraph {
    const inputs = declareTokenInputs(g);
    const T = sampling.temperature;
    const { logits, auxiliaryLosses } = policy.forward(g, inputs);
    const { logps, entropy } = tokenStatistics(g, logits, inputs.inputIds, { temperature: T, entropy: true });
    const loss = rlooLoss(
      g,
      {
        logp: logps,
        oldLogp: g.input(FEEDS.oldLogps, 'float32', ['batch', 'seq']),
        mask: g.input(FEEDS.mask, 'float32', ['batch', 'seq']),
        advantages: g.input(FEEDS.advantages, 'float32', ['batch']),
        entropy: entropy!,
      },
      { cliprange: this.options.cliprange },
    );
    return withAuxiliaryLosses(g, loss, auxiliaryLosses);
  }

  /**
   * An epoch is every prompt sampled rloo_k times (replayed rows are completions already), each rollout batch
   * trained on num_ppo_epochs times (TRL: epoch = episode / (rloo_k × prompts)).
   */
  epochRows({ data, replaying }: OnlineContext): number {
    const { size } = data.train;
    return (replaying ? size : size * this.options.rloo_k) * this.options.num_ppo_epochs;
  }
}

function microBatch(rollouts: readonly RlooRollout[], padTokenId: number): TrainBatch {
  const batch = collateRollouts(rollouts, padTokenId);
  const dims = [batch.rows, batch.length];
  const feeds = {
    ...tokenFeeds(batch),
    [FEEDS.mask]: float32Tensor(batch.completionMask, dims),
    [FEEDS.oldLogps]: float32Tensor(completionGrid(batch, rollouts.map((r) => r.logps)), dims),
    [FEEDS.advantages]: float32Tensor(rollouts.map((r) => r.advantage), [batch.rows]),
  };
  return { feeds, tokens: realTokens(batch), weight: rollouts.length };
}
