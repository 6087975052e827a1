import type { CursorPosition } from '../../data/shuffle.js';
import type { TokenizedDataset } from '../../data/tokenized-dataset.js';
import { allHost, type RunValue } from '../../engine/graph-executor.js';
import type { Graph } from '../../engine/ir/graph.js';
import { resolveModelDir } from '../../data/hub/resolve-model-dir.js';
import type { DecoderModel } from '../../models/roles/decoder-model.js';
import { RolloutEngine } from '../../models/rollout/rollout-engine.js';
import { resolveSampling, type ResolvedSampling } from '../../models/rollout/sampling-defaults.js';
import type { AlgorithmContext, DataSplit, LossGraph, PolicyLoadContext, TrainBatch } from '../algorithm-contract.js';
import type { AlgorithmDriver } from '../algorithm-driver.js';
import type { MetricSinks } from '../metric-sinks.js';
import type { MetricRow } from '../metrics-log.js';
import { RewardAggregator } from '../rewards/reward-aggregator.js';
import { loadTrainingData, type TrainingData } from '../training-data.js';
import type { OnlineAlgorithmContract, OnlineBatch, OnlineContext, OnlineSettings } from './online-algorithm.js';
import { OnlineRollouts } from './online-rollouts.js';
import { RankShare } from './rank-share.js';
import { loadReferenceModel } from './reference-model.js';
import { ReplayRollouts } from './replay-rollouts.js';
import type { Rollout } from './rollout.js';

/**
 * An online algorithm in the loop: a generation batch is sampled from the current policy (or replayed from
 * train.rollouts_from) and scored, the algorithm turns it into micro-batches (learnFrom), and the trainer's steps
 * take them in order; then the next batch. The prompt cursor is checkpointed; eval rows go to the evaluator's task
 * metrics only (no loss without rollouts).
 */
export class OnlineDriver implements AlgorithmDriver {
  readonly evaluatesLoss = false;
  readonly collatesPerRank = true;
  private readonly settings: OnlineSettings;
  private context!: OnlineContext;
  private replay?: ReplayRollouts;
  private online?: OnlineRollouts;
  private current?: OnlineBatch;
  private cursor = 0;

  constructor(readonly algorithm: OnlineAlgorithmContract) {
    this.settings = algorithm.onlineSettings();
  }

  /** The prompts to sample, or the replay file's completions (train.rollouts_from). */
  async loadData({ config, kernel, tokenizer, logger }: PolicyLoadContext): Promise<TrainingData> {
    const file = config.train.rollouts_from;
    if (!file) return loadTrainingData(config, { kernel, tokenizer, kinds: this.algorithm.recordKinds, logger });
    const s = this.settings;
    this.replay = await ReplayRollouts.read(file, {
      tokenizer,
      maxPromptLength: config.train.max_prompt_length,
      groupSize: s.sampling.samplesPerPrompt,
      groupKey: s.groupKey,
      scores: s.replayScores,
    });
    logger?.info(`replaying ${this.replay.rollouts.length} completions from ${file}`);
    return { train: this.replay.table, cacheKeys: [] };
  }

  /**
   * The sampling settings (config, else the policy's generation_config.json, else the algorithm's defaults; logged once),
   * the reference (when the algorithm asks for one), unless replaying the sampler (engine, rewards, prompt cursor),
   * then the algorithm's setup.
   */
  async setup(context: AlgorithmContext): Promise<void> {
    const sampling = this.resolveSampling(context);
    const reference = this.settings.reference ? await this.loadReference(context) : undefined;
    this.context = { ...context, reference, replaying: this.replay !== undefined, sampling, share: new RankShare(context.group) };
    if (!this.replay) this.online = await this.createSampler(context, sampling);
    await this.algorithm.setup?.(this.context);
  }

  private resolveSampling({ policy, logger }: AlgorithmContext): ResolvedSampling {
    const { generationConfig, source } = policy.model;
    const { settings, summary, warnings } = resolveSampling(this.settings.sampling.knobs, generationConfig, source);
    logger?.info(summary);
    for (const warning of warnings) logger?.warn(warning);
    return settings;
  }

  private async loadReference(context: AlgorithmContext): Promise<DecoderModel> {
    const ref = context.config.model.ref_path;
    const refDir = ref ? await resolveModelDir(ref, { logger: context.logger }) : undefined;
    return loadReferenceModel({ ...context, refDir });
  }

  private async createSampler({ config, kernel, tokenizer, policy, executor, data }: AlgorithmContext, resolved: ResolvedSampling): Promise<OnlineRollouts> {
    const eos = tokenizer.eosTokenId;
    if (eos == null) throw new Error(`${config.algo}: the tokenizer has no EOS token`);
    const { rewards, sampling } = this.settings;
    const aggregator = rewards.length ? await RewardAggregator.create(kernel, rewards, { config }) : undefined;
    const engine = await RolloutEngine.create(policy.model, executor, { tokenizer, weights: 'input' });
    const { shuffle, seed } = config.train;
    const { knobs: _knobs, ...counts } = sampling;
    return new OnlineRollouts(engine, aggregator, data.train, { ...counts, ...resolved, eosTokenId: eos, shuffle, seed });
  }

  epochRows(): number {
    return this.algorithm.epochRows?.(this.context) ?? this.context.data.train.size;
  }

  /** A new generation batch once the current one's micro-batches are used; its metrics join that step's. */
  async beforeStep(params: Readonly<Record<string, RunValue>>, step: number, sinks: MetricSinks): Promise<MetricRow | undefined> {
    let metrics: MetricRow | undefined;
    if (!this.current || this.cursor === this.current.microBatches.length) {
      // a generation batch is global (TRL: per device × processes): every rank holds all of it, trains its share
      const rollouts = await this.collect(params, this.settings.promptsPerBatch * this.context.share.worldSize);
      this.current = await this.algorithm.learnFrom(rollouts, params, this.context);
      this.cursor = 0;
      metrics = this.current.metrics;
    }
    const every = this.settings.logCompletionsSteps;
    if (every > 0 && (step + 1) % every === 0) sinks.logTable(step + 1, 'completions', this.current.table());
    return metrics;
  }

  /**
   * The rollouts of `prompts` prompts: replayed (every rank reads the same file), or sampled from the current weights
   * (through the algorithm's sampling, if it has one), each rank its block of the prompts, then gathered.
   */
  private collect(params: Readonly<Record<string, RunValue>>, prompts: number): Promise<Rollout[]> {
    if (this.replay) return Promise.resolve(this.replay.sample(prompts));
    // host weights become the policy's own (the starting ones can be freed); the engine is fed the session's
    // current weights either way, resident ones as they are: no copy and no recompile after an update
    if (allHost(params)) this.context.policy.absorb(params);
    const draw = (n: number) => this.online!.sample(n, params, this.context.share);
    return this.algorithm.sample ? this.algorithm.sample(draw, prompts) : draw(prompts);
  }

  /** The next micro-batch of the current generation batch (the rows the trainer's stream offers are not used). */
  collate(_data: TokenizedDataset, _rows: readonly number[], split: DataSplit): TrainBatch {
    if (split === 'eval' || !this.current) throw new Error(`${this.context.config.algo}: no rollout batch to train on (eval rows go to the evaluator, not the loss)`);
    return this.current.microBatches[this.cursor++]!;
  }

  buildLoss(g: Graph): LossGraph {
    return this.algorithm.buildLoss(g, this.context);
  }

  /** The algorithm's reference, so the evaluator loads no second copy. */
  evaluationReference(): DecoderModel | undefined {
    return this.context.reference ?? this.algorithm.evaluationReference?.();
  }

  /** The prompt cursor, so a resumed run samples the prompts an uninterrupted one would (a fresh batch of them). */
  saveState(): Record<string, unknown> | undefined {
    const own = this.algorithm.saveState?.();
    return this.online || own ? { ...own, ...(this.online ? { prompts: this.online.position } : {}) } : undefined;
  }

  restoreState(state: Record<string, unknown>): void {
    if (this.online && state.prompts) this.online.seek(state.prompts as CursorPosition);
    this.algorithm.restoreState?.(state);
  }
}
