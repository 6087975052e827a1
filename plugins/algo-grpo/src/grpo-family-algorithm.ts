import { trainOptions, type TrainingConfig, type UnifiedConfig } from '@aligntune/core/config';
import { type Graph, type HostTensor, type RunValue, type Tensor } from '@aligntune/core/engine';
import { REFERENCE_PREFIX, declareTokenInputs, tokenLogProbs, tokenStatistics, type DecoderModel, type TokenInputs } from '@aligntune/core/models';
import {
  completionsTable,
  float32Tensor,
  realTokens,
  rewardColumns,
  rewardNames,
  RolloutScorer,
  type LossGraph,
  type MetricRow,
  type OnlineAlgorithmContract,
  type OnlineBatch,
  type OnlineContext,
  type OnlineSettings,
  type RankShare,
  type Rollout,
  type TrainBatch,
  withAuxiliaryLosses,
} from '@aligntune/core/training';
import { groupAdvantages, tiedGroups } from './advantages.js';
import { sampleGroups } from './group-sampler.js';
import { groupMetrics } from './grpo-metrics.js';
import { grpoLoss } from './grpo-loss.js';
import { stepsPerGenerationOf, type GrpoOptions } from './grpo-options.js';
import { collateGroup, GRPO_FEEDS, groupFeeds, type GroupRollout } from './micro-batch.js';

/**
 * The GRPO family (TRL's GRPOTrainer) on core's online layer: each generation batch is per_device_batch_size ×
 * steps_per_generation completions, G per prompt, sampled from the current policy (or read from
 * train.rollouts_from) and scored; group-relative advantages; then num_iterations passes of steps_per_generation
 * micro-batches, with the clipped surrogate against the generation-time log-probs. The presets (grpo, dapo,
 * drgrpo, gspo) differ only in defaults.
 */
export abstract class GrpoFamilyAlgorithm implements OnlineAlgorithmContract {
  readonly recordKinds = ['prompt', 'completion'] as const;
  readonly options: TrainingConfig & GrpoOptions;
  private readonly stepsPerGeneration: number;
  private reference?: DecoderModel;
  private referenceFeeds: Record<string, HostTensor> = {};
  private oldLogps?: RolloutScorer;
  /** frac_reward_zero_std and generation_rounds of the last sampled batch (dynamic sampling). */
  private samplingMetrics: MetricRow = {};
  private tokensSeen = 0;

  constructor(private readonly config: UnifiedConfig) {
    this.options = trainOptions<GrpoOptions>(config);
    this.stepsPerGeneration = stepsPerGenerationOf(this.options);
  }

  /** Old log-probs need their own pass when the policy moves between generation and a micro-batch's update. */
  private get offPolicy(): boolean {
    return this.options.num_iterations > 1 || this.stepsPerGeneration > this.options.gradient_accumulation_steps;
  }

  onlineSettings(): OnlineSettings {
    const o = this.options;
    const weights = this.config.rewards.map((r, k) => o.reward_weights?.[k] ?? r.weight ?? 1);
    return {
      sampling: {
        samplesPerPrompt: o.num_generations,
        maxNewTokens: o.max_completion_length,
        knobs: {
          temperature: { key: 'train.temperature', value: o.temperature, fallback: 1 },
          topK: { key: 'train.top_k', value: o.top_k, fallback: 0 },
          topP: { key: 'train.top_p', value: o.top_p, fallback: 1 },
        },
      },
      promptsPerBatch: (this.config.train.per_device_batch_size * this.stepsPerGeneration) / o.num_generations,
      replayScores: rewardColumns(rewardNames(this.config.rewards.map((r) => r.type)), weights),
      groupKey: 'train.num_generations',
      rewards: this.config.rewards.map((r, k) => ({ ...r, weight: o.reward_weights?.[k] ?? r.weight })),
      reference: o.beta > 0,
      logCompletionsSteps: o.log_completions_steps,
    };
  }

  async setup({ reference, executor, policy, sampling }: OnlineContext): Promise<void> {
    this.reference = reference;
    if (reference) this.referenceFeeds = reference.namedWeights(REFERENCE_PREFIX);
    if (this.offPolicy) this.oldLogps = await RolloutScorer.create(executor, { policy, temperature: sampling.temperature, label: `${this.config.algo} old log-probs` });
  }

  constantFeeds(): Record<string, HostTensor> {
    return this.referenceFeeds;
  }

  /** G completions per prompt, with DAPO's dynamic sampling when max_resample > 0. */
  async sample(draw: (prompts: number) => Promise<Rollout[]>, prompts: number): Promise<Rollout[]> {
    const sampled = await sampleGroups(draw, prompts, this.options.num_generations, this.options.max_resample);
    this.samplingMetrics = { frac_reward_zero_std: sampled.tiedFraction, ...(sampled.rounds > 1 ? { generation_rounds: sampled.rounds } : {}) };
    return sampled.rollouts;
  }

  /**
   * Group-relative advantages over the whole generation batch (every rank's rewards, gathered), then this rank's
   * steps_per_generation micro-batches, trained on num_iterations times.
   */
  async learnFrom(rollouts: Rollout[], params: Readonly<Record<string, RunValue>>, { tokenizer, replaying, share }: OnlineContext): Promise<OnlineBatch> {
    const G = this.options.num_generations;
    const totals = rollouts.map((r) => r.total);
    const advantages = groupAdvantages(totals, G, this.options.scale_rewards);
    const scored: GroupRollout[] = rollouts.map((r, i) => ({ ...r, advantage: advantages[i]! }));
    const micro = await this.splitMicroBatches(scored, params, tokenizer.padTokenId, share);
    this.tokensSeen += rollouts.reduce((s, r) => s + r.promptIds.length + r.completionIds.length, 0);
    const sampling = replaying ? { frac_reward_zero_std: fractionTrue(tiedGroups(totals, G)) } : this.samplingMetrics;
    return {
      microBatches: Array.from({ length: this.options.num_iterations }, () => micro).flat(),
      metrics: { ...groupMetrics(scored, G), ...sampling, num_tokens: this.tokensSeen },
      table: () => completionsTable(scored, { reward: (r) => r.total, advantage: (r) => r.advantage }),
    };
  }

  /** Collates each of this rank's micro-batches once: feeds, old log-probs (off-policy), and the loss normaliser. */
  private async splitMicroBatches(rollouts: GroupRollout[], params: Readonly<Record<string, RunValue>>, padTokenId: number, share: RankShare): Promise<TrainBatch[]> {
    const parts = share.microBatches(rollouts, this.config.train.per_device_batch_size);
    const collated = parts.map((part) => collateGroup(part, padTokenId, this.options.mask_truncated_completions));
    const activeTokens = collated.reduce((s, c) => s + c.activeTokens, 0);
    const micro: TrainBatch[] = [];
    for (const [k, part] of parts.entries()) {
      const c = collated[k]!;
      const feeds = groupFeeds(part, c);
      const { normalizer, fed } = this.lossNormalizer(part.length, c.activeTokens, activeTokens);
      // a share without active tokens has Σ m·ℓ = 0: any non-zero divisor keeps it 0 (one process: max(tokens, 1))
      if (fed) feeds[GRPO_FEEDS.normalizer] = float32Tensor([Math.max(normalizer, 1 / this.stepsPerGeneration)], []);
      if (this.oldLogps) feeds[GRPO_FEEDS.oldLogps] = float32Tensor((await this.oldLogps.score(c.batch, params)).logps!, [c.batch.rows, c.batch.length]);
      // the graph's metrics are token means over the micro-batch's mask
      micro.push({ feeds, tokens: realTokens(c.batch), weight: normalizer, metricWeight: c.activeTokens });
    }
    return micro;
  }

  /**
   * The divisor of Σ m·ℓ in a micro-batch's loss, also its weight across ranks (TrainBatch.weight: the trainer sums
   * the ranks' weights, so a rank's share of the global divisor scales its gradient): grpo: rows (a mean of per-row
   * means); bnpo: the micro-batch's active tokens; dr_grpo: rows × max_completion_length (fed); dapo (fed): the
   * active tokens of this rank's share of the generation batch / steps_per_generation, so that an optimizer step
   * divides Σ m·ℓ by the generation batch's active tokens (summed over the ranks) / steps_per_generation: with the
   * default steps_per_generation, one token mean over the step.
   */
  private lossNormalizer(rows: number, microTokens: number, shareTokens: number): { normalizer: number; fed: boolean } {
    switch (this.options.loss_type) {
      case 'grpo':
        return { normalizer: rows, fed: false };
      case 'bnpo':
        return { normalizer: microTokens, fed: false };
      case 'dr_grpo':
        return { normalizer: rows * this.options.max_completion_length, fed: true };
      case 'dapo':
        return { normalizer: shareTokens / this.stepsPerGeneration, fed: true };
    }
  }

  buildLoss(g: Graph, { policy, sampling }: OnlineContext): LossGraph {
    const inputs = declareTokenInputs(g);
    const mask = g.input(GRPO_FEEDS.mask, 'float32', ['batch', 'seq']);
    const advantages = g.input(GRPO_FEEDS.advantages, 'float32', ['batch']);
    const T = sampling.temperature;
    const { logits, auxiliaryLosses } = policy.forward(g, inputs);
    const { logps: logp, entropy } = tokenStatistics(g, logits, inputs.inputIds, { temperature: T, entropy: true });
    const oldLogp = this.offPolicy ? g.input(GRPO_FEEDS.oldLogps, 'float32', ['batch', 'seq']) : g.stopGradient(logp);
    const needsNormalizer = this.options.loss_type === 'dr_grpo' || this.options.loss_type === 'dapo';
    const o = this.options;
    const loss = grpoLoss(
      g,
      {
        logp,
        oldLogp,
        refLogp: this.reference ? this.referenceLogProbs(g, this.reference, inputs, T) : undefined,
        mask,
        advantages,
        normalizer: needsNormalizer ? g.input(GRPO_FEEDS.normalizer, 'float32', []) : undefined,
        entropy: entropy!,
      },
      { epsilonLow: o.epsilon, epsilonHigh: o.epsilon_high ?? o.epsilon, delta: o.delta, beta: o.beta, lossType: o.loss_type, level: o.importance_sampling_level },
    );
    return withAuxiliaryLosses(g, loss, auxiliaryLosses);
  }

  private referenceLogProbs(g: Graph, reference: DecoderModel, inputs: TokenInputs, temperature: number): Tensor {
    const { hidden, weights } = reference.forward(g, inputs, 'input', REFERENCE_PREFIX);
    return g.stopGradient(tokenLogProbs(g, reference.lmLogits(g, weights, hidden), inputs.inputIds, temperature));
  }

  /**
   * per_device_batch_size counts completions: an epoch is every prompt sampled G times, each generation batch
   * trained on num_iterations times (TRL's repeat sampler); replayed rows are completions already.
   */
  epochRows({ data, replaying }: OnlineContext): number {
    const { size } = data.train;
    return replaying ? size : size * this.options.num_generations * this.options.num_iterations;
  }
}

function fractionTrue(flags: readonly boolean[]): number {
  return flags.filter(Boolean).length / Math.max(flags.length, 1);
}
