import { join } from 'node:path';
import { trainOptions, type TrainingConfig, type UnifiedConfig } from '@aligntune/core/config';
import { resolveModelDir } from '@aligntune/core/data';
import { allHost, type Graph, type HostTensor, type RunValue, type Tensor } from '@aligntune/core/engine';
import { Algorithm, inject, Tokens } from '@aligntune/core/kernel';
import { declareTokenInputs, tokenStatistics, type StorageDtype, type ValueModel } from '@aligntune/core/models';
import {
  onPolicyCompletionsTable,
  onPolicyMetrics,
  OnPolicySchedule,
  RolloutScorer,
  scoreColumn,
  type LossGraph,
  type OnlineAlgorithmContract,
  type OnlineBatch,
  type OnlineContext,
  type OnlineSettings,
  type RankShare,
  type Rollout,
  withAuxiliaryLosses,
} from '@aligntune/core/training';
import { loadRewardModel, loadValueModel, REWARD_PREFIX, VALUE_MODEL_DIR, VALUE_PREFIX, type CompanionContext } from './companion-models.js';
import { FEED_NAMES, microBatchFeeds } from './micro-batch.js';
import { ppoLoss } from './ppo-loss.js';
import { PpoOptions } from './ppo-options.js';
import { scoreRollouts, type ModelOutputs } from './rollout-batch.js';

/**
 * PPO as TRL's PPOTrainer, on core's online layer: each rollout batch is rollout_batch_size prompts with one
 * completion each, sampled from the current policy (or read from train.rollouts_from) and scored by the reward
 * model and/or reward functions; per-token rewards −kl_coef·KL plus the score on the last token, GAE with the value
 * model, whitened advantages; then num_ppo_epochs shuffled passes of num_mini_batches optimizer steps, each updating
 * the policy and the value model together (loss = pg + vf_coef·vf, each model with its own optimizer moments).
 */
@Algorithm('ppo', { options: PpoOptions, description: 'proximal policy optimization with a value model, a reward model and/or reward functions (TRL PPOTrainer)' })
export class PpoAlgorithm implements OnlineAlgorithmContract {
  // PPO needs prompts only: a completion or a preference pair's answers are ignored (hh-rlhf rows give their prompt)
  readonly recordKinds = ['prompt', 'completion', 'preference'] as const;
  readonly options: TrainingConfig & PpoOptions;
  private value!: ValueModel;
  private scorer!: RolloutScorer;
  private schedule!: OnPolicySchedule;

  constructor(@inject(Tokens.Config) private readonly config: UnifiedConfig) {
    this.options = trainOptions<PpoOptions>(config);
  }

  onlineSettings(): OnlineSettings {
    const o = this.options;
    return {
      sampling: { samplesPerPrompt: 1, maxNewTokens: o.response_length, knobs: PpoOptions.samplingKnobs(o), stopAtEos: o.stop_token === 'eos' },
      promptsPerBatch: o.rollout_batch_size!, // derived at validation (PpoOptions.checkConfig)
      // replayed rows carry their score: no reward model or function is called
      replayScores: scoreColumn('score'),
      rewards: this.config.rewards,
      reference: true,
      logCompletionsSteps: o.log_completions_steps,
    };
  }

  /** The value model, the reward model (unless replaying), then one scoring graph over them, the policy and the reference. */
  async setup(context: OnlineContext): Promise<void> {
    const companions = companionContext(context);
    this.value = await loadValueModel(companions);
    const reward = context.replaying ? undefined : await loadRewardModel(companions);
    const o = this.options;
    // the plan cuts the global rollout batch (every rank's) into global micro-batches; each rank trains its part of each
    this.schedule = new OnPolicySchedule({ epochs: o.num_ppo_epochs, microBatchSize: o.per_device_batch_size * context.share.worldSize, shuffle: o.shuffle, seed: o.seed });
    this.scorer = await RolloutScorer.create(context.executor, {
      policy: context.policy,
      reference: context.reference,
      temperature: context.sampling.temperature,
      label: 'ppo rollout scores',
      extra: (g, inputs) => {
        const outputs: Record<string, Tensor> = { values: this.value.forward(g, inputs, VALUE_PREFIX, 'input').tokenValues };
        if (!reward) return { outputs, frozen: {} };
        outputs.rewardScores = g.squeeze(reward.forward(g, inputs, REWARD_PREFIX, 'input').scores, [1]);
        return { outputs, frozen: reward.model.namedWeights(REWARD_PREFIX) };
      },
    });
  }

  /** The value model's weights (prefixed `value.`) train beside the policy's: one optimizer, separate moments per tensor. */
  extraTrainableParams(): Record<string, HostTensor> {
    return this.value.model.namedWeights(VALUE_PREFIX);
  }

  /**
   * Checkpoints and final/ keep the value model in value_model/ (resumed from a checkpoint's, float32); final/'s is
   * written in the policy's dtype (train.save_dtype), as TRL's PPO loads and saves every model in one torch_dtype.
   */
  async saveExtras(dir: string, params: Readonly<Record<string, HostTensor>>, dtype?: StorageDtype): Promise<void> {
    this.value.model.setWeights(params, VALUE_PREFIX);
    await this.value.model.save(join(dir, VALUE_MODEL_DIR), { dtype });
  }

  /** Scores, advantages and the num_ppo_epochs × num_mini_batches plan of micro-batches of a rollout batch. */
  async learnFrom(rollouts: Rollout[], params: Readonly<Record<string, RunValue>>, { tokenizer, share }: OnlineContext): Promise<OnlineBatch> {
    // follow the session, so the starting weights can be freed (resident ones are read out when saved)
    if (allHost(params)) this.value.model.setWeights(params, VALUE_PREFIX);
    const o = this.options;
    // every rank scores its block and holds all the scores: whitening and the metrics are the global batch's
    const scored = scoreRollouts(rollouts, await this.modelOutputs(rollouts, params, tokenizer.padTokenId, share), {
      klCoef: o.kl_coef,
      klEstimator: o.kl_estimator,
      gamma: o.gamma,
      lam: o.lam,
      whitenRewards: o.whiten_rewards,
      rewardModelWeight: o.reward_model_weight,
      missingEosPenalty: o.missing_eos_penalty,
    });
    const { plan, metrics } = this.schedule.next(scored.length);
    return {
      microBatches: plan.map((rows) => microBatchFeeds(share.part(rows, o.per_device_batch_size).map((i) => scored[i]!), tokenizer.padTokenId)),
      metrics: { ...onPolicyMetrics(scored, o.kl_coef, tokenizer.eosTokenId!), ...metrics },
      table: () => onPolicyCompletionsTable(scored),
    };
  }

  /** Rollout-time log-probs, reference log-probs, values and reward-model scores, per_device_batch_size rows at a time. */
  private async modelOutputs(rollouts: readonly Rollout[], params: Readonly<Record<string, RunValue>>, padTokenId: number, share: RankShare): Promise<ModelOutputs[]> {
    const scores = await this.scorer.scoreCompletions(rollouts, params, { padTokenId, chunk: this.options.per_device_batch_size, share });
    return scores.map(({ tokens, rows }) => ({ modelScore: rows.rewardScores ?? null, logps: tokens.logps!, refLogps: tokens.refLogps!, values: tokens.values! }));
  }

  buildLoss(g: Graph, { policy, sampling }: OnlineContext): LossGraph {
    const inputs = declareTokenInputs(g);
    const perToken = (name: string) => g.input(name, 'float32', ['batch', 'seq']);
    const T = sampling.temperature;
    const { logits, auxiliaryLosses } = policy.forward(g, inputs);
    const { logps, entropy } = tokenStatistics(g, logits, inputs.inputIds, { temperature: T, entropy: true });
    const loss = ppoLoss(
      g,
      {
        logp: logps,
        oldLogp: perToken(FEED_NAMES.oldLogps),
        values: this.value.forward(g, inputs, VALUE_PREFIX, 'input').tokenValues,
        oldValues: perToken(FEED_NAMES.oldValues),
        advantages: perToken(FEED_NAMES.advantages),
        returns: perToken(FEED_NAMES.returns),
        mask: perToken(FEED_NAMES.mask),
        entropy: entropy!,
      },
      { cliprange: this.options.cliprange, cliprangeValue: this.options.cliprange_value, vfCoef: this.options.vf_coef },
    );
    return withAuxiliaryLosses(g, loss, auxiliaryLosses);
  }
}

function companionContext({ config, policy, startDir, resumeDir, kernel, logger, frozen }: OnlineContext): CompanionContext {
  return { model: config.model, policy, startDir, resumeDir, kernel, resolveDir: (id) => resolveModelDir(id, { logger }), seed: config.train.seed, logger, frozen };
}
