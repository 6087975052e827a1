import type { TokenizedDataset } from '../../data/tokenized-dataset.js';
import type { CursorPosition } from '../../data/shuffle.js';
import { allHost, type RunValue } from '../../engine/graph-executor.js';
import type { DecoderModel } from '../../models/roles/decoder-model.js';
import { RolloutEngine } from '../../models/rollout/rollout-engine.js';
import { resolveModelDir } from '../../data/hub/resolve-model-dir.js';
import type { RewardEntry } from '../rewards/reward-aggregator.js';
import { RewardAggregator } from '../rewards/reward-aggregator.js';
import type { MetricTable } from '../metric-sink.js';
import type { MetricRow } from '../metrics-log.js';
import { TrainerBase, type DataSplit, type TrainBatch } from '../trainer-base.js';
import type { TrainingData } from '../training-data.js';
import { OnlineRollouts, type OnlineRolloutOptions } from './online-rollouts.js';
import { loadReferenceModel } from './reference-model.js';
import { ReplayRollouts, type ReplayScores } from './replay-rollouts.js';
import type { Rollout } from './rollout.js';

/** What one generation (rollout) batch trains: its micro-batches in order, its host metrics, its completions table. */
export interface OnlineBatch {
  readonly microBatches: readonly TrainBatch[];
  readonly metrics: MetricRow;
  readonly table: () => MetricTable;
}

/** How an online algorithm samples, replays and logs; read once, at setup. */
export interface OnlineSettings {
  readonly sampling: Omit<OnlineRolloutOptions, 'eosTokenId' | 'shuffle' | 'seed'>;
  /** Prompts per generation batch (each sampled sampling.samplesPerPrompt times). */
  readonly promptsPerBatch: number;
  /** How a `train.rollouts_from` row gives its scores, and the config key naming the group size (G, k). */
  readonly replayScores: ReplayScores;
  readonly groupKey?: string;
  /** The reward functions (with the algorithm's weights); none: no reward function is called. */
  readonly rewards: readonly RewardEntry[];
  /** Load the KL reference (model.ref_path, else the starting policy). */
  readonly reference: boolean;
  /** Write the completions table every N steps; 0 = never. */
  readonly logCompletionsSteps: number;
}

/**
 * The online-RL loop on top of the trainer: a generation batch is sampled from the current policy (or replayed
 * from train.rollouts_from) and scored, the algorithm turns it into micro-batches (advantages, old log-probs), and
 * the trainer's steps take them in order; then the next batch. The prompt cursor is checkpointed. An algorithm
 * supplies its settings, `learnFrom` and its loss (buildLoss).
 */
export abstract class OnlineTrainer extends TrainerBase {
  /** No loss without rollouts: eval rows get the evaluator's task metrics (accuracy, reward, KL) only. */
  protected override readonly evaluatesLoss = false;
  protected reference?: DecoderModel;
  protected replay?: ReplayRollouts;
  protected online?: OnlineRollouts;
  private current?: OnlineBatch;
  private cursor = 0;

  protected abstract onlineSettings(): OnlineSettings;

  /** Turns a generation batch's rollouts (G consecutive per prompt) into micro-batches, with the current weights. */
  protected abstract learnFrom(rollouts: Rollout[], params: Readonly<Record<string, RunValue>>): Promise<OnlineBatch>;

  protected override async loadData(): Promise<TrainingData> {
    const file = this.config.train.rollouts_from;
    if (!file) return super.loadData();
    const s = this.onlineSettings();
    this.replay = await ReplayRollouts.read(file, {
      tokenizer: this.tokenizer,
      maxPromptLength: this.config.train.max_prompt_length,
      groupSize: s.sampling.samplesPerPrompt,
      groupKey: s.groupKey,
      scores: s.replayScores,
    });
    this.logger?.info(`replaying ${this.replay.rollouts.length} completions from ${file}`);
    return { train: this.replay.table, cacheKeys: [] };
  }

  /** The reference (when the algorithm asks for one) and, unless replaying, the sampler: engine, rewards, prompt cursor. */
  protected override async setup(): Promise<void> {
    const s = this.onlineSettings();
    if (s.reference) this.reference = await this.loadReference();
    if (this.replay) return;
    const eos = this.tokenizer.eosTokenId;
    if (eos == null) throw new Error(`${this.config.algo}: the tokenizer has no EOS token`);
    const aggregator = s.rewards.length ? await RewardAggregator.create(this.kernel, s.rewards, { config: this.config }) : undefined;
    const engine = await RolloutEngine.create(this.policy.model, this.executor, { tokenizer: this.tokenizer, weights: 'input' });
    const { shuffle, seed } = this.config.train;
    this.online = new OnlineRollouts(engine, aggregator, this.data.train, { ...s.sampling, eosTokenId: eos, shuffle, seed });
  }

  private async loadReference(): Promise<DecoderModel> {
    const ref = this.config.model.ref_path;
    const refDir = ref ? await resolveModelDir(ref, { logger: this.logger }) : undefined;
    return loadReferenceModel({ policy: this.policy, refDir, startDir: this.startDir, resumeDir: this.resumeDir, kernel: this.kernel });
  }

  /** A new generation batch once the current one's micro-batches are used; its metrics join that step's. */
  protected override async beforeStep(params: Readonly<Record<string, RunValue>>, step: number): Promise<MetricRow | void> {
    let metrics: MetricRow | undefined;
    if (!this.current || this.cursor === this.current.microBatches.length) {
      const rollouts = await this.collect(params, this.onlineSettings().promptsPerBatch);
      this.current = await this.learnFrom(rollouts, params);
      this.cursor = 0;
      metrics = this.current.metrics;
    }
    const every = this.onlineSettings().logCompletionsSteps;
    if (every > 0 && (step + 1) % every === 0) this.sinks.logTable(step + 1, 'completions', this.current.table());
    return metrics;
  }

  /** The rollouts of `prompts` prompts: replayed, or sampled from the current weights. */
  protected async collect(params: Readonly<Record<string, RunValue>>, prompts: number): Promise<Rollout[]> {
    if (this.replay) return this.replay.sample(prompts);
    // host weights become the policy's own (the starting ones can be freed); the engine is fed the session's
    // current weights either way, resident ones as they are: no copy and no recompile after an update
    if (allHost(params)) this.policy.absorb(params);
    return this.online!.sample(prompts, params);
  }

  /** The next micro-batch of the current generation batch (the rows the trainer's stream offers are not used). */
  protected collate(_data: TokenizedDataset, _rows: readonly number[], split: DataSplit): TrainBatch {
    if (split === 'eval' || !this.current) throw new Error(`${this.config.algo}: no rollout batch to train on (eval rows go to the evaluator, not the loss)`);
    return this.current.microBatches[this.cursor++]!;
  }

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
}
