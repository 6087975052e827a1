import {
  REFERENCE_PREFIX,
  type CursorPosition,
  DecoderModel,
  declareTokenInputs,
  emitModel,
  encodeModel,
  float32Tensor,
  Graph,
  hostValues,
  loadModel,
  realTokens,
  resolveModelDir,
  RewardAggregator,
  RolloutEngine,
  tokenEntropy,
  tokenLogProbs,
  trainOptions,
  TrainerBase,
  type CompiledGraph,
  type DataSplit,
  type HostTensor,
  type Kernel,
  type LossGraph,
  type MetricRow,
  type Tensor,
  type TokenizedDataset,
  type TokenInputs,
  type TrainBatch,
  type TrainerLogger,
  type TrainingConfig,
  type TrainingData,
  type UnifiedConfig,
} from '@aligntune/core';
import { groupAdvantages, tiedGroups } from './advantages.js';
import { completionsTable } from './completions-log.js';
import { rolloutMetrics } from './grpo-metrics.js';
import { grpoLoss } from './grpo-loss.js';
import { stepsPerGenerationOf, type GrpoOptions } from './grpo-options.js';
import { ADVANTAGES, collateRollouts, COMPLETION_MASK, LOSS_NORMALIZER, OLD_LOGPS, rolloutFeeds } from './micro-batch.js';
import { OnlineRollouts } from './online-rollouts.js';
import { readReplayRollouts } from './replay-rollouts.js';
import type { Rollout } from './rollout.js';


/** A generation batch split into micro-batches, each with its feeds ready. */
interface GenerationBatch {
  readonly micro: Array<{ rollouts: Rollout[]; feeds: Record<string, HostTensor>; tokens: number }>;
}

/**
 * The GRPO family (TRL's GRPOTrainer): each generation batch is per_device_batch_size × steps_per_generation
 * completions, G per prompt, sampled from the current policy (or read from train.rollouts_from) and scored;
 * group-relative advantages; then num_iterations passes of steps_per_generation micro-batches, with the clipped
 * surrogate against the generation-time log-probs. The presets (grpo, dapo, drgrpo, gspo) differ only in defaults.
 */
export abstract class GrpoFamilyTrainer extends TrainerBase {
  protected readonly recordKinds = ['prompt', 'completion'] as const;
  /** No loss without rollouts: eval rows get the evaluator's task metrics (accuracy, reward, KL) only. */
  protected override readonly evaluatesLoss = false;
  protected readonly options: TrainingConfig & GrpoOptions;
  private readonly stepsPerGeneration: number;
  private reference?: DecoderModel;
  private referenceFeeds: Record<string, HostTensor> = {};
  private replay?: Rollout[];
  private replayCursor = 0;
  private online?: OnlineRollouts;
  private engine?: RolloutEngine;
  private logpGraph?: CompiledGraph;
  private current?: GenerationBatch;
  private microCursor = 0;
  private tokensSeen = 0;

  constructor(config: UnifiedConfig, kernel: Kernel, logger?: TrainerLogger) {
    super(config, kernel, logger);
    this.options = trainOptions<GrpoOptions>(config);
    this.stepsPerGeneration = stepsPerGenerationOf(this.options);
  }

  /** Old log-probs need their own pass when the policy moves between generation and a micro-batch's update. */
  private get offPolicy(): boolean {
    return this.options.num_iterations > 1 || this.stepsPerGeneration > this.options.gradient_accumulation_steps;
  }

  protected override async loadData(): Promise<TrainingData> {
    const file = this.options.rollouts_from;
    if (file) {
      const names = rewardNames(this.config.rewards.map((r) => r.type));
      const weights = this.config.rewards.map((r, k) => this.options.reward_weights?.[k] ?? r.weight ?? 1);
      const { table, rollouts } = await readReplayRollouts(file, {
        tokenizer: this.tokenizer,
        groupSize: this.options.num_generations,
        maxPromptLength: this.options.max_prompt_length,
        rewardNames: names,
        rewardWeights: weights,
      });
      this.replay = rollouts;
      this.logger?.info(`replaying ${rollouts.length} completions from ${file}`);
      return { train: table, cacheKeys: [] };
    }
    return super.loadData();
  }

  protected override async setup(): Promise<void> {
    if (this.options.beta > 0) await this.loadReference();
    if (this.offPolicy) this.logpGraph = await this.compileLogProbs();
    if (this.replay) return;
    const eos = this.tokenizer.eosTokenId;
    if (eos == null) throw new Error(`${this.config.algo}: the tokenizer has no EOS token`);
    const entries = this.config.rewards.map((r, k) => ({ ...r, weight: this.options.reward_weights?.[k] ?? r.weight }));
    const aggregator = await RewardAggregator.create(this.kernel, entries, { config: this.config });
    this.engine = await RolloutEngine.create(this.policy.model, this.executor, { tokenizer: this.tokenizer, weights: 'input' });
    const o = this.options;
    this.online = new OnlineRollouts(this.engine, aggregator, this.data.train, {
      groupSize: o.num_generations,
      maxCompletionLength: o.max_completion_length,
      temperature: o.temperature,
      topK: o.top_k,
      topP: o.top_p,
      maxResample: o.max_resample,
      shuffle: o.shuffle,
      seed: o.seed,
      eosTokenId: eos,
    });
  }

  /** model.ref_path, else the starting policy (its weights are shared: the policy's updates never write into them). */
  private async loadReference(): Promise<void> {
    const ref = this.config.model.ref_path;
    this.reference =
      ref || this.resumeDir
        ? await loadModel(ref ? await resolveModelDir(ref, { logger: this.logger }) : this.startDir, { kernel: this.kernel })
        : new DecoderModel({ ...this.policy.model, weights: new Map(this.policy.model.weights) });
    this.referenceFeeds = this.reference.namedWeights(REFERENCE_PREFIX);
  }

  protected override constantFeeds(): Record<string, HostTensor> {
    return this.referenceFeeds;
  }

  /** A new generation batch every steps_per_generation × num_iterations micro-batches; host metrics when one is made. */
  protected override async beforeStep(params: Readonly<Record<string, HostTensor>>, step: number): Promise<MetricRow | void> {
    const cycle = this.stepsPerGeneration * this.options.num_iterations;
    let metrics: MetricRow | undefined;
    if (!this.current || this.microCursor % cycle === 0) {
      this.microCursor = 0;
      metrics = await this.nextGenerationBatch(params);
    }
    const every = this.options.log_completions_steps;
    if (every > 0 && (step + 1) % every === 0) {
      this.sinks.logTable(step + 1, 'completions', completionsTable(this.current!.micro.flatMap((m) => m.rollouts)));
    }
    return metrics;
  }

  private async nextGenerationBatch(params: Readonly<Record<string, HostTensor>>): Promise<MetricRow> {
    const size = this.config.train.per_device_batch_size * this.stepsPerGeneration;
    const G = this.options.num_generations;
    let rollouts: Rollout[];
    let metrics: MetricRow = {};
    if (this.replay) {
      rollouts = Array.from({ length: size }, () => this.replay![this.replayCursor++ % this.replay!.length]!);
    } else {
      this.policy.absorb(params); // the engine feeds the policy's weights: generate from the current ones
      const sampled = await this.online!.sample(size / G);
      rollouts = sampled.rollouts;
      metrics = { frac_reward_zero_std: sampled.tiedFraction, ...(sampled.rounds > 1 ? { generation_rounds: sampled.rounds } : {}) };
    }
    const advantages = groupAdvantages(rollouts.map((r) => r.total), G, this.options.scale_rewards);
    rollouts = rollouts.map((r, i) => ({ ...r, advantage: advantages[i]! }));
    this.current = await this.splitMicroBatches(rollouts, params);
    this.tokensSeen += this.current.micro.reduce((s, m) => s + m.tokens, 0);
    if (this.replay) metrics.frac_reward_zero_std = fractionTrue(tiedGroups(rollouts.map((r) => r.total), G));
    return { ...rolloutMetrics(rollouts, G), ...metrics, num_tokens: this.tokensSeen };
  }

  /** Collates each micro-batch once: feeds, old log-probs (off-policy), and the loss normalizer. */
  private async splitMicroBatches(rollouts: Rollout[], params: Readonly<Record<string, HostTensor>>): Promise<GenerationBatch> {
    const size = this.config.train.per_device_batch_size;
    const collated = Array.from({ length: this.stepsPerGeneration }, (_, k) => {
      const part = rollouts.slice(k * size, (k + 1) * size);
      return { rollouts: part, collated: collateRollouts(part, this.tokenizer.padTokenId, this.options.mask_truncated_completions) };
    });
    const activeTokens = collated.reduce((s, c) => s + c.collated.activeTokens, 0);
    const micro = [];
    for (const { rollouts: part, collated: c } of collated) {
      const feeds = rolloutFeeds(part, c);
      const normalizer = this.lossNormalizer(part.length, activeTokens);
      if (normalizer !== undefined) feeds[LOSS_NORMALIZER] = float32Tensor([normalizer], []);
      if (this.logpGraph) feeds[OLD_LOGPS] = await this.logProbs(params, feeds);
      micro.push({ rollouts: part, feeds, tokens: realTokens(c.batch) });
    }
    return { micro };
  }

  /**
   * dr_grpo: rows × max_completion_length. dapo: the generation batch's active tokens / steps_per_generation, so that
   * an optimizer step (the trainer averages its gradient_accumulation_steps micro-losses) divides Σ m·ℓ by the active
   * tokens of the generation batch's share of it: with the default steps_per_generation, one token mean over the step.
   */
  private lossNormalizer(rows: number, activeTokens: number): number | undefined {
    if (this.options.loss_type === 'dr_grpo') return rows * this.options.max_completion_length;
    if (this.options.loss_type === 'dapo') return Math.max(activeTokens, 1) / this.stepsPerGeneration;
    return undefined;
  }

  private async compileLogProbs(): Promise<CompiledGraph> {
    const g = new Graph(`${this.config.algo}-old-logps`);
    const inputs = declareTokenInputs(g);
    const { logits } = this.policy.forward(g, inputs);
    const logp = tokenLogProbs(g, logits, inputs.inputIds, this.options.temperature);
    return this.executor.compile(encodeModel(emitModel(g, { outputs: { logp } })), { label: `${this.config.algo} old log-probs` });
  }

  private async logProbs(params: Readonly<Record<string, HostTensor>>, feeds: Record<string, HostTensor>): Promise<HostTensor> {
    const graph = this.logpGraph!;
    const all: Record<string, HostTensor> = { ...params, ...feeds };
    const out = await graph.run(Object.fromEntries(graph.inputNames.map((n) => [n, all[n]!])));
    const dims = feeds.input_ids!.dims;
    return float32Tensor(hostValues(out.logp!), dims);
  }

  protected buildLoss(g: Graph): LossGraph {
    const inputs = declareTokenInputs(g);
    const mask = g.input(COMPLETION_MASK, 'float32', ['batch', 'seq']);
    const advantages = g.input(ADVANTAGES, 'float32', ['batch']);
    const T = this.options.temperature;
    const { logits } = this.policy.forward(g, inputs);
    const logp = tokenLogProbs(g, logits, inputs.inputIds, T);
    const oldLogp = this.offPolicy ? g.input(OLD_LOGPS, 'float32', ['batch', 'seq']) : g.stopGradient(logp);
    const needsNormalizer = this.options.loss_type === 'dr_grpo' || this.options.loss_type === 'dapo';
    const o = this.options;
    return grpoLoss(
      g,
      {
        logp,
        oldLogp,
        refLogp: this.reference ? this.referenceLogProbs(g, inputs) : undefined,
        mask,
        advantages,
        normalizer: needsNormalizer ? g.input(LOSS_NORMALIZER, 'float32', []) : undefined,
        entropy: tokenEntropy(g, logits, T),
      },
      { epsilonLow: o.epsilon, epsilonHigh: o.epsilon_high ?? o.epsilon, delta: o.delta, beta: o.beta, lossType: o.loss_type, level: o.importance_sampling_level },
    );
  }

  private referenceLogProbs(g: Graph, inputs: TokenInputs): Tensor {
    const { hidden, weights } = this.reference!.forward(g, inputs, 'input', REFERENCE_PREFIX);
    return g.stopGradient(tokenLogProbs(g, this.reference!.lmLogits(g, weights, hidden), inputs.inputIds, this.options.temperature));
  }

  /** The next micro-batch of the current generation batch (the rows the trainer's stream offers are not used). */
  /** The prompt cursor, so a resumed run samples the prompts an uninterrupted one would (a fresh batch of them). */
  protected override algorithmState(): Record<string, unknown> | undefined {
    return this.online ? { prompts: this.online.position } : undefined;
  }

  protected override restoreAlgorithmState(state: Record<string, unknown>): void {
    if (this.online && state.prompts) this.online.seek(state.prompts as CursorPosition);
  }

  protected override evaluationReference(): DecoderModel | undefined {
    return this.reference;
  }

  /**
   * per_device_batch_size counts completions: an epoch is every prompt sampled G times, each generation batch
   * trained on num_iterations times (TRL's repeat sampler); replayed rows are completions already.
   */
  protected override epochShape(): { rows: number; batchSize: number } {
    const { size } = this.data.train;
    const rows = this.replay ? size : size * this.options.num_generations * this.options.num_iterations;
    return { rows, batchSize: this.config.train.per_device_batch_size };
  }


  protected collate(_data: TokenizedDataset, _rows: readonly number[], split: DataSplit): TrainBatch {
    if (split === 'eval' || !this.current) throw new Error(`${this.config.algo}: no generation batch to train on (eval rows go to the evaluator, not the loss)`);
    const micro = this.current.micro[this.microCursor++ % this.stepsPerGeneration]!;
    return { feeds: micro.feeds, tokens: micro.tokens, weight: micro.rollouts.length };
  }
}

/** The aggregator's reward names: the type, `_2`, `_3` for repeats. */
function rewardNames(types: readonly string[]): string[] {
  const seen = new Map<string, number>();
  return types.map((type) => {
    const n = (seen.get(type) ?? 0) + 1;
    seen.set(type, n);
    return n === 1 ? type : `${type}_${n}`;
  });
}

function fractionTrue(flags: readonly boolean[]): number {
  return flags.filter(Boolean).length / Math.max(flags.length, 1);
}
