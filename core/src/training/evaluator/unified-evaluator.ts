import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { trainOptions } from '../../config/config-loader.js';
import type { UnifiedConfig } from '../../config/unified-config.js';
import type { RecordKind } from '../../data/canonical-record.js';
import { collatePairs, collateSequences, type SequenceBatch } from '../../data/collate.js';
import type { DataLogger } from '../../data/data-logger.js';
import { resolveModelDir } from '../../data/hub/resolve-model-dir.js';
import { packRagged } from '../../data/ragged.js';
import { planTasks } from '../../data/task-catalog.js';
import { TokenizedDataset } from '../../data/tokenized-dataset.js';
import type { GraphExecutor, HostTensor } from '../../engine/graph-executor.js';
import type { Kernel } from '../../kernel/kernel.js';
import { DecoderModel } from '../../models/roles/decoder-model.js';
import { loadFrozenModel, loadModel } from '../../models/roles/load-model.js';
import { FrozenWeights } from '../../models/quant/frozen-weights.js';
import { RolloutEngine } from '../../models/rollout/rollout-engine.js';
import { Tokenizer } from '../../models/tokenizer.js';
import { createComputeBackend } from '../compute-backend.js';
import { implicitRewardScale } from '../implicit-reward.js';
import { loadEvalTables, type EvalTable } from './eval-tables.js';
import type { DatasetEvaluation, EvaluationResult } from './eval-result.js';
import { generateSamples, type GeneratedSamples, type GenerationSettings } from './generated-samples.js';
import { isRewardModel, SequenceScorer, type RowScores } from './sequence-scorer.js';
import { TaskMetrics, type CodeEvalOptions } from './task-metrics.js';

export interface EvaluatorOptions {
  /** The model to evaluate, a Hugging Face directory (or Hub id); or `model`, one already loaded (a trainer's policy). */
  readonly modelDir?: string;
  readonly model?: DecoderModel;
  /**
   * Evaluate `model`'s own weight map as it is at each call (a trainer's live policy) instead of a copy: no
   * weights are pinned between evaluations. Default false.
   */
  readonly shareWeights?: boolean;
  /** The reference for implicit rewards and KL (directory or Hub id, or loaded); none: both are left out or reference-free. */
  readonly referenceDir?: string;
  readonly reference?: DecoderModel;
  /** Default: the model directory's tokenizer, else model.name_or_path's. */
  readonly tokenizer?: Tokenizer;
  /** Default: the config's compute backend (createComputeBackend), its own, disposed with the evaluator. */
  readonly executor?: GraphExecutor;
  /** Default: the config's eval rows (loadEvalTables). */
  readonly tables?: readonly EvalTable[];
  readonly logger?: DataLogger;
  /** Default: train.max_completion_length when the algorithm has it, else max_length − max_prompt_length. */
  readonly maxNewTokens?: number;
  /** β of the implicit reward β·(log π − log π_ref). Default: what the run's algorithm declares (ImplicitRewardSource), else 0.1 (TRL's default). */
  readonly beta?: number;
  readonly code?: CodeEvalOptions;
}

export interface EvaluateOptions {
  /** At most this many rows of each dataset (the first ones). */
  readonly maxSamples?: number;
  /** Weights by canonical name (a TrainSession's params) to evaluate instead of the current ones; they stay in effect. */
  readonly params?: Readonly<Record<string, HostTensor>>;
}

/** What create() assembles. */
interface EvaluatorParts {
  readonly policy: DecoderModel;
  /** A *ForSequenceClassification model: scored on preference rows only. */
  readonly rewardModel: boolean;
  readonly hasReference: boolean;
  readonly tokenizer: Tokenizer;
  readonly tables: readonly EvalTable[];
  readonly tasks: ReadonlyMap<string, TaskMetrics>;
  readonly scorer: SequenceScorer;
  readonly engine?: RolloutEngine;
  readonly ownedExecutor?: GraphExecutor;
  readonly batchSize: number;
  readonly beta: number;
  readonly generation: GenerationSettings;
  readonly logger?: DataLogger;
}

/**
 * Per-dataset metrics of a model on the eval split (docs/observability.md#evaluation): preference accuracy and
 * margin on preference rows, perplexity on completion rows, and the metrics each dataset's task names, from
 * the model's own completions (greedy; n samples for code pass@k), with KL to the reference on those same
 * completions. Graphs are compiled once; evaluate() can run again with new weights (a trainer's eval_interval).
 */
export class UnifiedEvaluator {
  private constructor(private readonly parts: EvaluatorParts) {}

  static async create(kernel: Kernel, config: UnifiedConfig, options: EvaluatorOptions): Promise<UnifiedEvaluator> {
    const resolveDir = (id: string) => resolveModelDir(id, { logger: options.logger });
    const { policy, reference } = await loadModels(kernel, config, options, resolveDir);
    const rewardModel = isRewardModel(policy);
    const tokenizer = options.tokenizer ?? (await loadTokenizer(config, policy.source, resolveDir));
    const tables = options.tables ?? (await loadEvalTables(config, { kernel, tokenizer, logger: options.logger }));
    const tasks = rewardModel ? new Map<string, TaskMetrics>() : await taskMetrics(kernel, config, tables, tokenizer, options);
    if (rewardModel) options.logger?.info('a reward model: only preference rows are scored (score of chosen vs rejected)');
    const executor = options.executor ?? (await createComputeBackend(kernel, config.compute));
    const ownedExecutor = options.executor ? undefined : executor;
    try {
      const scorer = await SequenceScorer.create(executor, policy, reference);
      const engine = tasks.size > 0 ? await RolloutEngine.create(policy, executor, { tokenizer, weights: 'input' }) : undefined;
      const train = config.train;
      const generation = { maxNewTokens: options.maxNewTokens ?? defaultMaxNewTokens(config), seed: train.seed, promptsPerCall: train.rollout_batch_size ?? EVAL_PROMPTS_PER_CALL };
      const beta = options.beta ?? (await implicitRewardScale(kernel, config));
      return new UnifiedEvaluator({ policy, rewardModel, hasReference: reference !== undefined, tokenizer, tables, tasks, scorer, engine, ownedExecutor, batchSize: train.per_device_batch_size, beta, generation, logger: options.logger });
    } catch (error) {
      await ownedExecutor?.dispose();
      throw error;
    }
  }

  get tables(): readonly EvalTable[] {
    return this.parts.tables;
  }

  async evaluate(options: EvaluateOptions = {}): Promise<EvaluationResult> {
    if (options.params) this.parts.policy.setWeights(options.params);
    const datasets: DatasetEvaluation[] = [];
    for (const table of this.parts.tables) datasets.push(await this.evaluateTable(table, options.maxSamples));
    return { datasets };
  }

  async dispose(): Promise<void> {
    await this.parts.engine?.dispose();
    await this.parts.scorer.dispose();
    await this.parts.ownedExecutor?.dispose();
  }

  private async evaluateTable(table: EvalTable, maxSamples: number | undefined): Promise<DatasetEvaluation> {
    const rows = maxSamples === undefined ? table.rows : table.rows.slice(0, maxSamples);
    const ofKind = (kind: RecordKind) => rows.filter((r) => table.data.kind(r) === kind);
    const metrics: Record<string, number> = {};
    const pairs = ofKind('preference');
    if (pairs.length > 0) Object.assign(metrics, await this.preferenceMetrics(table.data, pairs));
    const completions = ofKind('completion');
    if (completions.length > 0 && !this.parts.rewardModel) metrics.perplexity = await this.perplexity(table.data, completions);
    const task = table.task ? this.parts.tasks.get(table.task) : undefined;
    if (task && this.parts.engine && rows.length > 0) {
      const samples = await generateSamples(this.parts.engine, table.data, rows, task.sampling, this.parts.generation);
      Object.assign(metrics, await task.compute(samples));
      if (this.parts.hasReference) metrics.kl = await this.kl(samples);
    }
    this.parts.logger?.info(`evaluated ${table.name}: ${rows.length} rows`, metrics);
    return { name: table.name, task: table.task ?? null, rows: rows.length, metrics };
  }

  /** Accuracy: the chosen response's reward is strictly higher; margin: mean reward difference. */
  private async preferenceMetrics(data: TokenizedDataset, rows: readonly number[]): Promise<Record<string, number>> {
    let correct = 0;
    let margin = 0;
    await this.scoreBatches(rows, (chunk) => collatePairs(data, chunk, { padTokenId: this.parts.tokenizer.padTokenId }), (scores, _batch, pairs) => {
      for (let i = 0; i < pairs; i++) {
        const difference = this.reward(scores, i) - this.reward(scores, pairs + i);
        if (difference > 0) correct++;
        margin += difference;
      }
    });
    return { preference_accuracy: correct / rows.length, preference_margin: margin / rows.length };
  }

  /** A reward model's score; else the algorithm's implicit reward β·(log π − log π_ref), reference-free (log π_ref = 0) without a reference. */
  private reward(scores: RowScores, row: number): number {
    if (this.parts.rewardModel) return scores.policy[row]!;
    return this.parts.beta * (scores.policy[row]! - (scores.reference?.[row] ?? 0));
  }

  /** exp of the mean NLL over every completion token of the rows (EOS included). */
  private async perplexity(data: TokenizedDataset, rows: readonly number[]): Promise<number> {
    let logp = 0;
    let tokens = 0;
    await this.scoreBatches(rows, (chunk) => collateSequences(data, chunk, 'completion', { padTokenId: this.parts.tokenizer.padTokenId }), (scores, batch) => {
      logp += scores.policy.reduce((a, b) => a + b, 0);
      tokens += batch.completionMask.reduce((a, b) => a + b, 0);
    });
    return Math.exp(-logp / tokens);
  }

  /** Mean over the generated completion tokens (EOS included) of log π − log π_ref for the token the model produced. */
  private async kl(samples: GeneratedSamples): Promise<number> {
    const table = new TokenizedDataset(
      { prompt: packRagged(samples.rows.map((r) => samples.data.tokens('prompt', r))), completion: packRagged(samples.completions.map((c) => c.tokenIds)) },
      samples.rows.map((r) => samples.data.row(r)),
    );
    let difference = 0;
    let tokens = 0;
    const all = Array.from({ length: table.size }, (_, i) => i);
    await this.scoreBatches(all, (chunk) => collateSequences(table, chunk, 'completion', { padTokenId: this.parts.tokenizer.padTokenId }), (scores, batch) => {
      scores.policy.forEach((logp, i) => (difference += logp - scores.reference![i]!));
      tokens += batch.completionMask.reduce((a, b) => a + b, 0);
    });
    return difference / tokens;
  }

  /** Scores rows in batches of per_device_batch_size; `visit` gets each batch's scores, the batch and its row count. */
  private async scoreBatches(rows: readonly number[], collate: (chunk: number[]) => SequenceBatch, visit: (scores: RowScores, batch: SequenceBatch, count: number) => void): Promise<void> {
    for (let at = 0; at < rows.length; at += this.parts.batchSize) {
      const chunk = rows.slice(at, at + this.parts.batchSize);
      const batch = collate(chunk);
      visit(await this.parts.scorer.score(batch), batch, chunk.length);
    }
  }
}

/**
 * The evaluated model, with a weight map of its own unless shared (evaluate({ params }) never writes into the caller's
 * otherwise), and the reference (none for a reward model): a frozen model, loaded tensor by tensor into the storage
 * model.precision / model.quantization give it, as a training run's reference is.
 */
async function loadModels(kernel: Kernel, config: UnifiedConfig, options: EvaluatorOptions, resolveDir: (id: string) => Promise<string>): Promise<{ policy: DecoderModel; reference?: DecoderModel }> {
  const loaded = options.model ?? (options.modelDir ? await loadModel(options.modelDir, { kernel, resolveDir }) : undefined);
  if (!loaded) throw new Error('UnifiedEvaluator.create: give modelDir or model');
  const policy = options.model && options.shareWeights ? options.model : new DecoderModel({ ...loaded, weights: new Map(loaded.weights) });
  if (isRewardModel(policy)) return { policy };
  const reference = options.reference ?? (options.referenceDir ? await loadFrozenModel(options.referenceDir, new FrozenWeights(config.model), { kernel, resolveDir }) : undefined);
  return { policy, reference };
}

/** A TaskMetrics per task the tables name (planned from the config's tasks and datasets). */
async function taskMetrics(kernel: Kernel, config: UnifiedConfig, tables: readonly EvalTable[], tokenizer: Tokenizer, options: EvaluatorOptions): Promise<Map<string, TaskMetrics>> {
  const plan = await planTasks(kernel, config.tasks, config.datasets);
  const out = new Map<string, TaskMetrics>();
  for (const id of new Set(tables.flatMap((t) => (t.task ? [t.task] : [])))) {
    const task = plan.find((t) => t.id === id);
    if (!task) {
      options.logger?.warn(`task "${id}" is not among the config's tasks or datasets: its metrics are left out`);
      continue;
    }
    out.set(id, await TaskMetrics.create(kernel, config, task, { tokenizer, code: options.code }));
  }
  return out;
}

async function loadTokenizer(config: UnifiedConfig, modelDir: string | undefined, resolveDir: (id: string) => Promise<string>): Promise<Tokenizer> {
  if (modelDir && existsSync(join(modelDir, 'tokenizer.json'))) return Tokenizer.fromDir(modelDir);
  return Tokenizer.fromDir(await resolveDir(config.model.name_or_path));
}

/** Prompts per generation call when the algorithm has no rollout batch of its own (the former rollout_batch_size default). */
const EVAL_PROMPTS_PER_CALL = 64;

function defaultMaxNewTokens(config: UnifiedConfig): number {
  const train = trainOptions<{ max_completion_length?: number }>(config);
  return train.max_completion_length ?? Math.max(1, train.max_length - train.max_prompt_length);
}

