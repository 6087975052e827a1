import { join } from 'node:path';
import {
  Algorithm,
  type CursorPosition,
  declareTokenInputs,
  type DecoderModel,
  inject,
  Kernel,
  optional,
  resolveModelDir,
  RewardAggregator,
  RolloutEngine,
  tokenEntropy,
  tokenLogProbs,
  Tokens,
  trainOptions,
  TrainerBase,
  type DataSplit,
  type Graph,
  type HostTensor,
  type LossGraph,
  type MetricRow,
  type TokenizedDataset,
  type TrainBatch,
  type TrainerLogger,
  type TrainingConfig,
  type TrainingData,
  type UnifiedConfig,
  type ValueModel,
} from '@aligntune/core';
import { loadReference, loadRewardModel, loadValueModel, VALUE_MODEL_DIR, type CompanionContext } from './companion-models.js';
import { collateRollouts, completionValues, FEED_NAMES, microBatchFeeds } from './micro-batch.js';
import { OnlineRollouts } from './online-rollouts.js';
import { ppoLoss } from './ppo-loss.js';
import { completionsTable, rolloutMetrics } from './ppo-metrics.js';
import { PpoOptions } from './ppo-options.js';
import type { PpoRollout, ScoredRollout } from './ppo-rollout.js';
import { readReplayRollouts } from './replay-rollouts.js';
import { scoreRollouts, trainingPlan, type ModelOutputs } from './rollout-batch.js';
import { RolloutScorer, VALUE_PREFIX } from './rollout-scorer.js';

/** A scored rollout batch and its micro-batches (row indices) for num_ppo_epochs × num_mini_batches steps. */
interface RolloutBatch {
  readonly rollouts: ScoredRollout[];
  readonly plan: number[][];
}

/**
 * PPO as TRL's PPOTrainer: each rollout batch is rollout_batch_size prompts with one completion each, sampled from
 * the current policy (or read from train.rollouts_from) and scored by the reward model and/or reward functions;
 * per-token rewards −kl_coef·KL plus the score on the last token, GAE with the value model, whitened advantages;
 * then num_ppo_epochs shuffled passes of num_mini_batches optimizer steps, each updating the policy and the value
 * model together (loss = pg + vf_coef·vf, each model with its own optimizer moments).
 */
@Algorithm('ppo', { options: PpoOptions, description: 'proximal policy optimization with a value model, a reward model and/or reward functions (TRL PPOTrainer)' })
export class PpoTrainer extends TrainerBase {
  // PPO needs prompts only: a completion or a preference pair's answers are ignored (hh-rlhf rows give their prompt)
  protected readonly recordKinds = ['prompt', 'completion', 'preference'] as const;
  /** No loss without rollouts: eval rows get the evaluator's task metrics (accuracy, reward, KL) only. */
  protected override readonly evaluatesLoss = false;
  protected readonly options: TrainingConfig & PpoOptions;
  private value!: ValueModel;
  private reference!: DecoderModel;
  private scorer!: RolloutScorer;
  private replay?: PpoRollout[];
  private replayCursor = 0;
  private online?: OnlineRollouts;
  private current?: RolloutBatch;
  private cursor = 0;
  private rounds = 0;
  private episodes = 0;
  private startedAt = 0;

  constructor(@inject(Tokens.Config) config: UnifiedConfig, @inject(Tokens.Kernel) kernel: Kernel, @optional() @inject(Tokens.Logger) logger?: TrainerLogger) {
    super(config, kernel, logger);
    this.options = trainOptions<PpoOptions>(config);
  }

  protected override async loadData(): Promise<TrainingData> {
    const file = this.options.rollouts_from;
    if (file) {
      const { table, rollouts } = await readReplayRollouts(file, { tokenizer: this.tokenizer, maxPromptLength: this.options.max_prompt_length });
      this.replay = rollouts;
      this.logger?.info(`replaying ${rollouts.length} completions from ${file}`);
      return { train: table, cacheKeys: [] };
    }
    return super.loadData();
  }

  /** The prompt cursor, so a resumed run samples the prompts an uninterrupted one would (a fresh batch of them). */
  protected override algorithmState(): Record<string, unknown> | undefined {
    return this.online ? { prompts: this.online.position } : undefined;
  }

  protected override restoreAlgorithmState(state: Record<string, unknown>): void {
    if (this.online && state.prompts) this.online.seek(state.prompts as CursorPosition);
  }

  protected override evaluationReference(): DecoderModel {
    return this.reference;
  }

  protected override async setup(): Promise<void> {
    const eos = this.tokenizer.eosTokenId;
    if (eos == null) throw new Error('ppo: the tokenizer has no EOS token');
    const context = this.companionContext();
    this.value = await loadValueModel(context);
    // replayed rows carry their score: no reward model or function is called
    const reward = this.replay ? undefined : await loadRewardModel(context);
    this.reference = await loadReference(context);
    this.scorer = await RolloutScorer.create(this.executor, { policy: this.policy, reference: this.reference, value: this.value, reward, temperature: this.options.temperature });
    if (!this.replay) await this.setupSampling(eos);
  }

  private companionContext(): CompanionContext {
    return {
      model: this.config.model,
      policy: this.policy,
      startDir: this.startDir,
      resumeDir: this.resumeDir,
      kernel: this.kernel,
      resolveDir: (id) => resolveModelDir(id, { logger: this.logger }),
      seed: this.options.seed,
      logger: this.logger,
    };
  }

  private async setupSampling(eos: number): Promise<void> {
    const o = this.options;
    const aggregator = this.config.rewards.length ? await RewardAggregator.create(this.kernel, this.config.rewards, { config: this.config }) : undefined;
    const engine = await RolloutEngine.create(this.policy.model, this.executor, { tokenizer: this.tokenizer, weights: 'input' });
    this.online = new OnlineRollouts(engine, aggregator, this.data.train, {
      responseLength: o.response_length,
      temperature: o.temperature,
      stopAtEos: o.stop_token === 'eos',
      eosTokenId: eos,
      shuffle: o.shuffle,
      seed: o.seed,
    });
  }

  /** The policy's weights and the value model's (prefixed `value.`): one optimizer, separate moments per tensor. */
  protected override trainableParams(): Record<string, HostTensor> {
    return { ...this.policy.params(), ...this.value.model.namedWeights(VALUE_PREFIX) };
  }

  /** Checkpoints and final/ keep the value model in value_model/ (resumed from there). */
  protected override async saveExtras(dir: string, params: Readonly<Record<string, HostTensor>>): Promise<void> {
    this.value.model.setWeights(params, VALUE_PREFIX);
    await this.value.model.save(join(dir, VALUE_MODEL_DIR));
  }

  /** A new rollout batch every num_ppo_epochs × num_mini_batches steps; its metrics join that step's. */
  protected override async beforeStep(params: Readonly<Record<string, HostTensor>>, step: number): Promise<MetricRow | void> {
    this.startedAt ||= performance.now();
    this.value.model.setWeights(params, VALUE_PREFIX); // follow the session, so the starting weights can be freed
    let metrics: MetricRow | undefined;
    if (!this.current || this.cursor === this.current.plan.length) metrics = await this.nextRolloutBatch(params);
    const every = this.options.log_completions_steps;
    if (every > 0 && (step + 1) % every === 0) this.sinks.logTable(step + 1, 'completions', completionsTable(this.current!.rollouts));
    return metrics;
  }

  private async nextRolloutBatch(params: Readonly<Record<string, HostTensor>>): Promise<MetricRow> {
    const o = this.options;
    const size = o.rollout_batch_size!; // derived at validation (PpoOptions.checkConfig)
    let rollouts: PpoRollout[];
    if (this.replay) {
      rollouts = Array.from({ length: size }, () => this.replay![this.replayCursor++ % this.replay!.length]!);
    } else {
      this.policy.absorb(params); // the engine feeds the policy's weights: sample from the current ones
      rollouts = await this.online!.sample(size);
    }
    const scored = scoreRollouts(rollouts, await this.modelOutputs(rollouts, params), {
      klCoef: o.kl_coef,
      klEstimator: o.kl_estimator,
      gamma: o.gamma,
      lam: o.lam,
      whitenRewards: o.whiten_rewards,
      rewardModelWeight: o.reward_model_weight,
      missingEosPenalty: o.missing_eos_penalty,
    });
    const plan = trainingPlan(size, { epochs: o.num_ppo_epochs, microBatchSize: o.per_device_batch_size, shuffle: o.shuffle, seed: o.seed, round: this.rounds++ });
    this.current = { rollouts: scored, plan };
    this.cursor = 0;
    this.episodes += size;
    const seconds = (performance.now() - this.startedAt) / 1000;
    return { ...rolloutMetrics(scored, o.kl_coef, this.tokenizer.eosTokenId!), episode: this.episodes, eps: Math.round(this.episodes / seconds) };
  }

  /** Rollout-time log-probs, reference log-probs, values and reward-model scores, per_device_batch_size rows at a time. */
  private async modelOutputs(rollouts: readonly PpoRollout[], params: Readonly<Record<string, HostTensor>>): Promise<ModelOutputs[]> {
    const outputs: ModelOutputs[] = [];
    const chunk = this.options.per_device_batch_size;
    for (let at = 0; at < rollouts.length; at += chunk) {
      const part = rollouts.slice(at, at + chunk);
      const batch = collateRollouts(part, this.tokenizer.padTokenId);
      const out = await this.scorer.score(batch, params);
      const lengths = part.map((r) => r.completionIds.length);
      const [logps, refLogps, values] = [out.logps, out.refLogps, out.values].map((grid) => completionValues(batch, grid, lengths));
      part.forEach((_, i) => outputs.push({ modelScore: out.rewardScores?.[i] ?? null, logps: logps![i]!, refLogps: refLogps![i]!, values: values![i]! }));
    }
    return outputs;
  }

  protected buildLoss(g: Graph): LossGraph {
    const inputs = declareTokenInputs(g);
    const perToken = (name: string) => g.input(name, 'float32', ['batch', 'seq']);
    const T = this.options.temperature;
    const { logits } = this.policy.forward(g, inputs);
    return ppoLoss(
      g,
      {
        logp: tokenLogProbs(g, logits, inputs.inputIds, T),
        oldLogp: perToken(FEED_NAMES.oldLogps),
        values: this.value.forward(g, inputs, VALUE_PREFIX, 'input').tokenValues,
        oldValues: perToken(FEED_NAMES.oldValues),
        advantages: perToken(FEED_NAMES.advantages),
        returns: perToken(FEED_NAMES.returns),
        mask: perToken(FEED_NAMES.mask),
        entropy: tokenEntropy(g, logits, T),
      },
      { cliprange: this.options.cliprange, cliprangeValue: this.options.cliprange_value, vfCoef: this.options.vf_coef },
    );
  }

  /** The next micro-batch of the current rollout batch's plan (the rows the trainer's stream offers are not used). */
  protected collate(_data: TokenizedDataset, _rows: readonly number[], split: DataSplit): TrainBatch {
    if (split === 'eval' || !this.current) throw new Error('ppo: no rollout batch to train on (eval rows go to the evaluator, not the loss)');
    const rows = this.current.plan[this.cursor++]!.map((i) => this.current!.rollouts[i]!);
    const { feeds, tokens } = microBatchFeeds(rows, this.tokenizer.padTokenId);
    return { feeds, tokens, weight: rows.length };
  }
}
