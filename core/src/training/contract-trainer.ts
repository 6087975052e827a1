import { compileWithSharedWeights } from '../engine/compile-with-shared-weights.js';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { formatBytes, parseByteSize } from '../config/byte-size.js';
import { ConfigLoader } from '../config/config-loader.js';
import { HOST_DEVICE } from '../config/compute-config.js';
import { ConfigValidationError } from '../config/config-validation-error.js';
import { parseQuantization } from '../config/quantization-config.js';
import type { UnifiedConfig } from '../config/unified-config.js';
import type { CompiledGraph, GraphExecutor, HostTensor } from '../engine/graph-executor.js';
import { hostValues } from '../engine/interpret/nd-array.js';
import { Graph } from '../engine/ir/graph.js';
import { emitModel } from '../engine/onnx/emit-model.js';
import { collectGarbage } from '../engine/optim/collect-garbage.js';
import type { StepResult, TrainSession } from '../engine/optim/train-session.js';
import type { ProcessGroup } from '../engine/process-group.js';
import type { DistributedBackendOptions } from '../kernel/contribution.js';
import type { Kernel } from '../kernel/kernel.js';
import { FrozenWeights } from '../models/quant/frozen-weights.js';
import { PolicyModel } from '../models/roles/policy-model.js';
import { publishDtypes, rawModelConfig, recordedDtype, type PublishDtypes, type StorageDtype } from '../models/save-dtype.js';
import type { LoadModelOptions } from '../models/roles/load-model.js';
import { Tokenizer } from '../models/tokenizer.js';
import { BatchStream } from './batch-stream.js';
import { resolveResumePath } from './checkpoint-store.js';
import { Checkpointer } from './checkpointer.js';
import { createComputeBackend } from './compute-backend.js';
import { EvaluationSchedule } from './evaluation-schedule.js';
import { memorySaving, StepExecutor, type DataParallel, type ParallelStepOutcome } from './step-executor.js';
import { inPlace } from './collective-buffers.js';
import { abortCode, dataParallelPlan, refuseUnreadKeys } from './data-parallel-plan.js';
import { describeEstimate, estimateStepMemory } from './memory-estimate.js';
import { describeMixedPrecision, mixedPrecision } from './mixed-precision.js';
import { ExtensionPoints } from './extension-points.js';
import { MetricWindow, weightedMeans, type MetricRow } from './metrics-log.js';
import { flattenHparams } from './metric-sink.js';
import { MetricSinks } from './metric-sinks.js';
import { toPlainTree } from '../config/to-plain.js';
import { resolveModelDir } from '../data/hub/resolve-model-dir.js';
import { createOptimizer, createSchedule } from './optimizer-config.js';
import { OutputLayout } from './output-layout.js';
import { formatSeconds, ProgressReporter, type ProgressOptions } from './progress-reporter.js';
import { claimOutputDir } from './claim-output-dir.js';
import { SignalGuard } from './signal-guard.js';
import type { Trainer, TrainerLogger, TrainResult } from './trainer.js';
import { TRAINER_STATE_VERSION, type TrainerState } from './trainer-state.js';
import type { TrainingData } from './training-data.js';
import type { AlgorithmParts, TrainBatch } from './algorithm-contract.js';
import type { AlgorithmDriver } from './algorithm-driver.js';
import { UnifiedEvaluator } from './evaluator/unified-evaluator.js';
import { withLoraAdapter } from './lora-policy.js';
import { evalTablesByTask } from './evaluator/eval-tables.js';
import { flattenEvaluation } from './evaluator/eval-result.js';

/** Callbacks for embedding applications and tests. */
export interface TrainerHooks {
  /** After every optimizer step, with that step's values (not window means). */
  onStep?(step: number, values: MetricRow): void | Promise<void>;
}

const TIMING_KEYS = ['tokens_per_second'];

/**
 * The loop every algorithm shares: data → micro-batches → one engine step (one session.run, or
 * accumulate × N + apply) → metrics → loggers → eval every `eval_interval` → checkpoint every
 * `save_interval` → final save. What varies by algorithm comes from its driver: an offline contract's
 * collation of table rows (OfflineDriver) or the online layer's rollouts (OnlineDriver); see
 * docs/outputs.md for what a run writes.
 */
export class ContractTrainer implements Trainer {
  readonly signals = new SignalGuard();
  hooks: TrainerHooks = {};
  /** Progress display; `{ enabled: false }` silences it. */
  progress: Pick<ProgressOptions, 'enabled' | 'plain' | 'stream'> = {};
  /** The algorithm plugin's contract this trainer runs. */
  readonly algorithm: AlgorithmParts;

  private readonly layout: OutputLayout;
  private policy!: PolicyModel;
  private tokenizer!: Tokenizer;
  private data!: TrainingData;
  private executor!: GraphExecutor;
  private group!: ProcessGroup;
  /** Set when several ranks train together (distributed.backend ddp, deepspeed or fsdp under a launcher). */
  private parallel?: DataParallel;
  /** Bytes of the frozen models (reference, reward model) as stored, for the memory estimate. */
  private frozenBytes = 0;
  /** The dtypes final/ is written in. */
  private publish?: PublishDtypes;
  /** The start checkpoint's dtype (config.json), what `precision: auto` follows. */
  private startDtype: StorageDtype = 'F32';
  /** The checkpoint being resumed, if any. */
  private resumeDir?: string;
  /** metrics.jsonl plus the `logging.loggers` plugins; the online layer logs completion tables here. */
  private sinks: MetricSinks = MetricSinks.silent();
  /** `logging.run_name`, the resumed run's name, or `<algo>-<UTC timestamp>`. */
  private runName!: string;

  constructor(
    private readonly config: UnifiedConfig,
    private readonly kernel: Kernel,
    private readonly driver: AlgorithmDriver,
    private readonly logger?: TrainerLogger,
  ) {
    this.layout = new OutputLayout(config.logging.output_dir);
    this.algorithm = driver.algorithm;
  }

  /** The trained model from `dir` (the start or the resumed checkpoint): the algorithm's own loading, else the decoder as saved. */
  /** `frozenStorage`: the policy's weights are LoRA's frozen base, stored as they are read (see loadModel). */
  private loadPolicy(dir: string, frozenStorage?: LoadModelOptions['frozenStorage']): Promise<PolicyModel> {
    const { config, kernel, tokenizer, logger } = this;
    if (this.algorithm.loadPolicy) return this.algorithm.loadPolicy(dir, { config, kernel, tokenizer, logger });
    return PolicyModel.load(dir, { kernel, resolveDir: (id) => resolveModelDir(id, { logger }), frozenStorage });
  }

  /** Initial values of the trained parameters by graph name: the policy's, plus the algorithm's extra ones (PPO's value model). */
  private trainableParams(): Record<string, HostTensor> {
    return { ...this.policy.params(), ...this.algorithm.extraTrainableParams?.() };
  }

  private constantFeeds(): Record<string, HostTensor> {
    return this.algorithm.constantFeeds?.() ?? {};
  }

  async train(): Promise<TrainResult> {
    const held: HeldResources = {};
    const started = performance.now();
    try {
      await this.prepareRun();
      const result = await this.runSteps(held);
      const elapsed = formatSeconds((performance.now() - started) / 1000);
      if (result.interrupted) this.logger?.info(`stopped at step ${result.steps} after ${elapsed}; resume with train.resume_from_checkpoint: latest`);
      else this.logger?.info(`finished at step ${result.steps} after ${elapsed}`);
      return result;
    } catch (error) {
      // a rank that fails must not leave the others waiting in a collective: log why, then end every rank
      if (this.group?.worldSize > 1) {
        (this.logger?.error ?? this.logger?.warn)?.call(this.logger, `rank ${this.group.rank}: ${(error as Error).message}; stopping every rank`);
        this.group.abort(abortCode(error));
      }
      throw error;
    } finally {
      // whatever was created is released, also when setup failed half-way (a bad resume, a graph onnxruntime rejects)
      held.progress?.stop();
      this.signals.uninstall();
      await this.sinks.close();
      await held.evaluator?.dispose();
      await held.evalGraph?.dispose();
      await held.steps?.dispose();
      await this.executor?.dispose();
      await this.group?.destroy();
    }
  }

  /** Session, evaluation, resume, then the step loop; everything it creates goes into `held` for train() to release. */
  private async runSteps(held: HeldResources): Promise<TrainResult> {
    const train = this.config.train;
    // several ranks read one global batch (per-device batch × ranks) in the order one process would, each its share
    const stream = new BatchStream({ rows: this.driver.epochRows(), batchSize: train.per_device_batch_size * this.group.worldSize, shuffle: train.shuffle, seed: train.seed });
    const totalSteps = train.max_steps ?? Math.ceil(((train.epochs ?? 1) * stream.microBatchesPerEpoch) / train.gradient_accumulation_steps);
    const steps = (held.steps = await this.createSteps());
    const { session } = steps;
    if (steps.zero) {
      const shards = await steps.zero.describeShards();
      if (this.group.rank === 0) this.logger?.info(shards);
    }
    const checkpointer = new Checkpointer({ layout: this.layout, group: this.group, policy: this.policy, publish: this.publish, saveTotalLimit: train.save_total_limit, saveExtras: async (dir, params, dtype) => this.algorithm.saveExtras?.(dir, params, dtype), logger: this.logger });
    const evalGraph = (held.evalGraph = this.data.eval && this.driver.evaluatesLoss ? await this.compileEval() : undefined);
    const evaluator = (held.evaluator = this.data.eval ? await this.createEvaluator() : undefined);
    const evaluation = evalGraph || evaluator ? { graph: evalGraph, evaluator } : undefined;
    const loop = new LoopState(totalSteps, stream);
    if (this.resumeDir) await this.restore(steps, loop);
    const evaluations = new EvaluationSchedule(train.eval_interval, evaluation !== undefined);
    await inPlace(Object.values(session.currentParams()), (buffers) => this.group.broadcast(buffers, 0));
    this.followResidentWeights(session);
    // one progress display for the job: rank 0's
    const progress = (held.progress = new ProgressReporter({ total: totalSteps, ...this.progress, ...(this.group.rank > 0 ? { enabled: false } : {}) }));
    await this.openSinks(loop);
    this.signals.install((signal) => this.logger?.warn(`${signal}: stopping after this step and saving a checkpoint`));
    progress.start(loop.step);
    while (loop.step < totalSteps && !this.stopping(loop)) {
      const values = await this.optimizerStep(steps, loop);
      await this.hooks.onStep?.(loop.step, values);
      const logged = loop.step % train.logging_steps === 0 || loop.step === totalSteps ? this.logWindow(loop) : undefined;
      progress.update(loop.step, logged); // the console shows the logged (window-mean) values, as metrics.jsonl has them
      if (evaluations.dueAfter(loop.step)) await this.logEval(session, evaluation!, loop);
      if (train.save_interval > 0 && loop.step % train.save_interval === 0 && loop.step < totalSteps) await this.checkpoint(checkpointer, steps, loop);
    }
    progress.stop();
    if (this.stopping(loop)) {
      // the checkpoint keeps the partial logging window, so a resumed run logs the same means; then flush it here
      await this.checkpoint(checkpointer, steps, loop);
      if (loop.window.counts.loss) this.logWindow(loop);
      return { steps: loop.step, metrics: loop.lastMetrics, interrupted: true, stopSignal: this.signals.stopRequested ?? 'SIGTERM' };
    }
    if (evaluations.dueAtEnd(loop.step)) await this.logEval(session, evaluation!, loop);
    await checkpointer.saveFinal(session.liveParams());
    // a signal during the final evaluation or save still ends the process with its code (the model is complete)
    return { steps: loop.step, outputDir: this.layout.final, metrics: loop.lastMetrics, stopSignal: this.signals.stopRequested };
  }

  /**
   * The step executor over the policy's trainable weights. Its own method so the starting host weights are not held by
   * runSteps' frame for the whole run: on a resident backend they are dropped once the session holds them.
   */
  private async createSteps(): Promise<StepExecutor> {
    const params = this.trainableParams();
    this.checkMemoryBudget(params);
    const mixed = mixedPrecision(this.config.model.precision, this.startDtype, this.executor);
    const described = describeMixedPrecision(mixed);
    if (described) this.logger?.info(described);
    return StepExecutor.create(this.executor, { train: this.config.train, label: this.config.algo, buildLoss: (g) => this.driver.buildLoss(g), params, parallel: this.parallel, recompute: this.config.model.gradient_checkpointing, ...mixed });
  }

  /** Output dir (refused or cleared before anything is written, see claimOutputDir), backends, policy, tokenizer, data, then the algorithm's setup. */
  private async prepareRun(): Promise<void> {
    const { config } = this;
    this.group = await this.kernel.create(ExtensionPoints.distributedBackend, config.distributed.backend);
    refuseUnreadKeys(config, this.kernel.metadata(ExtensionPoints.distributedBackend.kind, config.distributed.backend) as DistributedBackendOptions | undefined);
    const { distributed } = config;
    await this.group.init({ nodes: distributed.nodes, processesPerNode: distributed.gpus_per_node, seed: distributed.seed ?? config.train.seed, settings: { ...distributed } });
    if (this.group.notice && this.group.rank === 0) this.logger?.warn(this.group.notice);
    this.parallel = dataParallelPlan(this.group);
    // rank 0 owns the output directory; the others wait until it is claimed (or cleared)
    if (this.group.rank === 0) {
      await claimOutputDir(config, { logger: this.logger });
      await mkdir(this.layout.root, { recursive: true });
      await writeFile(this.layout.resolvedConfig, ConfigLoader.stringify(config));
    }
    await this.group.barrier();
    if (config.train.resume_from_checkpoint) this.resumeDir = resolveResumePath(config.train.resume_from_checkpoint, this.layout);
    this.runName = config.logging.run_name ?? defaultRunName(config.algo);
    this.executor = await createComputeBackend(this.kernel, config.compute, this.group.localRank);
    const startDir = await resolveModelDir(config.model.sft_path ?? config.model.name_or_path, { logger: this.logger });
    // from the start's config.json: a resumed policy is loaded from a checkpoint, which holds float32 master weights
    const startConfig = await rawModelConfig(startDir);
    this.startDtype = recordedDtype(startConfig);
    this.publish = publishDtypes(config.train.save_dtype, startConfig);
    const tokenizerDir = existsSync(join(startDir, 'tokenizer.json')) ? startDir : await resolveModelDir(config.model.name_or_path, { logger: this.logger });
    this.tokenizer = await Tokenizer.fromDir(tokenizerDir);
    // with LoRA the base always comes from the start (a checkpoint holds the adapter only), the adapter from the checkpoint
    const lora = config.model.peft?.enabled === true;
    const frozen = new FrozenWeights(config.model);
    const loaded = await (lora ? this.loadPolicy(startDir, frozen.storageFor) : this.loadPolicy(this.resumeDir ?? startDir));
    this.policy = await withLoraAdapter(loaded, config, { resumeDir: this.resumeDir, logger: this.logger, frozen });
    this.data = await this.driver.loadData({ config, kernel: this.kernel, tokenizer: this.tokenizer, logger: this.logger });
    this.logger?.info(`${this.data.train.size} training rows${this.data.eval ? `, ${this.data.eval.size} eval rows` : ''}`);
    if (!this.data.eval && config.train.eval_interval > 0) {
      this.logger?.warn(
        `train.eval_interval: ${config.train.eval_interval} has no eval rows, so no evaluation runs: give eval data with eval_split on a dataset (e.g. eval_split: test) or hold out training rows with train.eval_fraction (e.g. 0.05)`,
      );
    }
    const { kernel, logger, tokenizer, policy, data, executor, resumeDir } = this;
    await this.driver.setup({ config, kernel, logger, tokenizer, policy, data, executor, startDir, resumeDir, frozen, group: this.group });
    frozen.requireFrozenBase();
    this.frozenBytes = frozen.bytes;
  }

  private async compileEval(): Promise<CompiledGraph> {
    const g = new Graph(`${this.config.algo}-eval`);
    const { loss, metrics } = this.driver.buildLoss(g);
    const model = emitModel(g, { outputs: { loss, ...metrics }, name: 'eval' });
    return compileWithSharedWeights(this.executor, model, { label: `${this.config.algo} eval` });
  }

  /** Runs gradient_accumulation_steps micro-batches and one optimizer update; returns this step's values. */
  private async optimizerStep(steps: StepExecutor, loop: LoopState): Promise<MetricRow> {
    const lr = loop.schedule(this.config.train)(loop.step);
    const started = performance.now();
    const hostMetrics = (await this.driver.beforeStep(steps.session.currentParams(), loop.step, this.sinks)) ?? {};
    let tokens = 0;
    let microBatch = 0;
    // LoRA dropout masks: a key per (seed, step, micro-batch, rank), so ranks of one step draw different masks
    const dropout = () => this.policy.model.adapter?.dropoutFeeds(this.config.train.seed, loop.step, microBatch++ * this.group.worldSize + this.group.rank);
    const next = () => {
      const batch = this.collateShare(loop.stream.next());
      tokens += batch.tokens;
      return { feeds: { ...this.constantFeeds(), ...dropout(), ...batch.feeds }, weight: batch.weight, metricWeight: batch.metricWeight ?? batch.weight };
    };
    const outcome = this.parallel ? await steps.stepAcrossRanks(next, lr) : await steps.step(() => next().feeds, lr);
    const { results, gradNorm } = outcome;
    if (outcome.skippedAtScale !== undefined) {
      this.logger?.warn(`step ${loop.step + 1}: gradients overflowed in float16 at loss scale ${outcome.skippedAtScale}: the update was skipped, loss scale now ${steps.lossScaler!.scale}`);
    }
    // the policy follows the session's weights, so the starting weights are freed unless a reference keeps them;
    // resident weights are read out only where needed (checkpoints, the final save, rollouts, evaluation)
    if (!steps.session.resident) this.policy.absorb(steps.session.params);
    loop.step++;
    loop.tokensSeen += tokens;
    const seconds = (performance.now() - started) / 1000;
    const reduced = 'totals' in outcome ? await this.reduceAcrossRanks(outcome as ParallelStepOutcome, tokens) : { means: stepMeans(results), tokens, stop: false };
    loop.ranksStopping = reduced.stop;
    const values: MetricRow = { ...reduced.means, ...hostMetrics, learning_rate: lr, grad_norm: gradNorm, tokens_per_second: reduced.tokens / seconds, ...(steps.lossScaler ? { loss_scale: steps.lossScaler.scale } : {}) };
    loop.window.add(values);
    loop.lastStep = { learning_rate: lr, grad_norm: gradNorm };
    return values;
  }

  /**
   * `model.max_memory.cpu` (the host): the step's memory estimate must fit, else the run is refused (exit 2) before anything
   * large is allocated, with the estimate's parts and what lowers them, rather than killed by the system mid-run.
   */
  private checkMemoryBudget(params: Readonly<Record<string, HostTensor>>): void {
    const size = this.config.model.max_memory?.[HOST_DEVICE];
    if (size === undefined) return;
    const budget = parseByteSize(size)!;
    const train = this.config.train;
    const trainableBytes = tensorBytes(Object.values(params));
    const hostCopies = !this.executor.resident && memorySaving(train, trainableBytes, false) === 'off';
    const estimate = estimateStepMemory({
      model: this.policy.model.config,
      trainableBytes,
      frozenBytes: this.frozenBytes,
      optimizerSlots: createOptimizer(train).slots.length,
      hostCopies,
      sequences: train.per_device_batch_size * (this.algorithm.recordKinds.includes('preference') ? 2 : 1),
      tokens: train.max_length,
      recompute: this.config.model.gradient_checkpointing,
    });
    const summary = `estimated ${formatBytes(estimate.total)} per step (${describeEstimate(estimate)})`;
    const path = `model.max_memory.${HOST_DEVICE}`;
    if (estimate.total <= budget) return void this.logger?.info(`memory: ${summary}, within ${path} ${size}`);
    const advice = [
      'lower train.per_device_batch_size (raise train.gradient_accumulation_steps to keep the batch) or train.max_length',
      ...(this.config.model.gradient_checkpointing ? [] : ['set model.gradient_checkpointing: true']),
      ...(hostCopies ? ['set train.memory_saving: full'] : []),
      ...(this.frozenBytes > 0 && !parseQuantization(this.config.model.quantization).spec ? ['store the frozen models smaller (model.precision: bf16, or model.quantization: {load_in_4bit: true})'] : []),
      'train a smaller model, or raise the budget',
    ].join('; ');
    throw new ConfigValidationError([{ path, message: `${summary} exceeds the budget of ${size}: ${advice}` }]);
  }

  /**
   * On a resident session the policy's weights become views read out of the backend when touched: its starting
   * weights (or the copy a checkpoint or evaluation read out) are freed instead of staying beside the resident
   * ones (a reference model that shares the starting weights keeps its own references to them).
   */
  private followResidentWeights(session: TrainSession): void {
    if (!session.resident) return;
    this.policy.absorb(session.liveParams());
    collectGarbage();
  }

  /**
   * This rank's share of a global micro-batch: rows [rank·b, (rank+1)·b) of it. A rank whose share of a short last
   * batch is empty still runs (collectives wait for every rank) on one row with weight 0, which adds nothing.
   */
  private collateShare(rows: number[]): TrainBatch {
    if (!this.parallel || this.driver.collatesPerRank) return this.driver.collate(this.data.train, rows, 'train');
    const size = this.config.train.per_device_batch_size;
    const mine = rows.slice(this.group.rank * size, (this.group.rank + 1) * size);
    if (mine.length > 0) return this.driver.collate(this.data.train, mine, 'train');
    return { ...this.driver.collate(this.data.train, rows.slice(0, 1), 'train'), tokens: 0, weight: 0, metricWeight: 0 };
  }

  /**
   * A data-parallel step's values as one process would log them: each micro-batch's loss weighted by its normaliser
   * and its metrics by theirs (TrainBatch.metricWeight), summed across ranks and divided by the global one, then the
   * mean over the micro-batches; tokens summed.
   */
  private async reduceAcrossRanks({ results, weights, totals, metricWeights, metricTotals }: ParallelStepOutcome, tokens: number): Promise<{ means: MetricRow; tokens: number; stop: boolean }> {
    const keys = ['loss', ...Object.keys(results[0]!.metrics)];
    const at = results.length * keys.length;
    const sums = new Float64Array(at + 2);
    const weightOf = (key: string) => (key === 'loss' ? { own: weights, total: totals } : { own: metricWeights, total: metricTotals });
    results.forEach((r, k) => keys.forEach((key, i) => (sums[k * keys.length + i] = weightOf(key).own[k]! * (key === 'loss' ? r.loss : r.metrics[key]!))));
    sums[at] = tokens;
    // a stop signal reaches each rank at its own moment: the ranks agree here, so all stop after the same step
    sums[at + 1] = this.signals.stopRequested ? 1 : 0;
    await this.group.allReduce([sums], 'sum');
    const share = (key: string, i: number, k: number) => (weightOf(key).total[k]! > 0 ? sums[k * keys.length + i]! / weightOf(key).total[k]! : 0);
    const means = Object.fromEntries(keys.map((key, i) => [key, results.reduce((s, _, k) => s + share(key, i, k), 0) / results.length]));
    return { means, tokens: sums[at]!, stop: sums[at + 1]! > 0 };
  }

  /** Whether to stop after this step: a signal here, or (several ranks) on any rank at the last step's reduction. */
  private stopping(loop: LoopState): boolean {
    return this.parallel ? loop.ranksStopping : this.signals.stopRequested !== undefined;
  }

  /** Opens the metric sinks on rank 0 and logs the run's hyperparameters once. */
  private async openSinks(loop: LoopState): Promise<void> {
    if (this.group.rank !== 0) return;
    const config = toPlainTree(this.config) as Record<string, unknown>;
    const run = { runName: this.runName, outputDir: this.layout.root, algo: this.config.algo, config, resumed: this.resumeDir !== undefined, startStep: loop.step };
    this.sinks = await MetricSinks.open(this.kernel, this.config.logging.loggers, run, this.logger);
    this.sinks.logHparams(flattenHparams(config));
  }

  private logWindow(loop: LoopState): MetricRow {
    const means = loop.window.take();
    // loss and the algorithm's metrics are window means (as HF logs loss); lr and grad_norm are the last step's
    const row: MetricRow = { step: loop.step, epoch: loop.stream.epochProgress, ...orderedMetrics({ ...means, ...loop.lastStep }) };
    loop.lastMetrics = row;
    this.sinks.logRow(row);
    this.logger?.debug(`step ${loop.step}: ${JSON.stringify(row)}`);
    return row;
  }

  /**
   * The task metrics of the eval rows (`eval_samples` per task), from the policy's current weights at each eval;
   * the algorithm's reference (the driver's evaluationReference) gives KL and the DPO implicit rewards; without one, model.ref_path when set.
   */
  private async createEvaluator(): Promise<UnifiedEvaluator | undefined> {
    if (this.config.train.eval_samples === 0) return undefined;
    const reference = this.driver.evaluationReference();
    return UnifiedEvaluator.create(this.kernel, this.config, {
      // the live policy: it follows the session's weights (every step; read out before an evaluation when resident), so nothing extra is held
      model: this.policy.model,
      shareWeights: true,
      tokenizer: this.tokenizer,
      executor: this.executor,
      tables: evalTablesByTask(this.data.eval!, 'all'),
      ...(reference ? { reference } : { referenceDir: this.config.model.ref_path }),
      logger: this.logger,
    });
  }

  /**
   * Evaluates the held-out rows with the current weights; logs `eval/<metric>` means (weighted by batch
   * weight) and the evaluator's task metrics as `eval/<task>/<metric>`.
   */
  private async logEval(session: TrainSession, { graph, evaluator }: Evaluation, loop: LoopState): Promise<MetricRow> {
    const params = session.params;
    const values = graph ? await this.evaluate(graph, params) : {};
    if (evaluator) {
      if (session.resident) this.policy.absorb(params); // the evaluator runs the live policy: give it the weights read out of the backend
      Object.assign(values, flattenEvaluation(await evaluator.evaluate({ maxSamples: this.config.train.eval_samples })));
      this.followResidentWeights(session);
    }
    const row: MetricRow = { step: loop.step, epoch: loop.stream.epochProgress, ...Object.fromEntries(Object.entries(values).map(([k, v]) => [`eval/${k}`, v])) };
    this.sinks.logRow(row);
    this.logger?.info(`eval at step ${loop.step}: ${Object.entries(values).slice(0, 4).map(([k, v]) => `${k} ${v.toFixed(4)}`).join(', ')}`);
    return row;
  }

  /** Eval metrics of the current weights over the whole eval split. */
  private async evaluate(graph: CompiledGraph, params: Readonly<Record<string, HostTensor>>): Promise<MetricRow> {
    const data = this.data.eval!;
    const size = this.config.train.per_device_batch_size;
    const rows: Array<{ values: MetricRow; weight: number }> = [];
    for (let at = 0; at < data.size; at += size) {
      const indices = Array.from({ length: Math.min(size, data.size - at) }, (_, i) => at + i);
      const batch = this.driver.collate(data, indices, 'eval');
      const feeds: Record<string, HostTensor> = { ...params, ...this.constantFeeds(), ...batch.feeds };
      const out = await graph.run(Object.fromEntries(graph.inputNames.map((n) => [n, feeds[n]!])));
      rows.push({ values: Object.fromEntries(Object.entries(out).map(([k, t]) => [k, hostValues(t)[0]!])), weight: batch.weight });
    }
    return weightedMeans(rows);
  }

  private async restore(steps: StepExecutor, loop: LoopState): Promise<void> {
    const { optimizer, state } = await Checkpointer.load(this.resumeDir!, this.config.algo);
    steps.importState(optimizer);
    loop.step = state.global_step;
    loop.tokensSeen = state.tokens_seen;
    loop.totalSteps = state.total_steps;
    loop.stream.seek(state.data);
    loop.window.restore(state.log_window);
    loop.lastMetrics = state.last_metrics;
    if (state.run_name && !this.config.logging.run_name) this.runName = state.run_name;
    if (state.algorithm) this.driver.restoreState(state.algorithm);
    if (state.loss_scaler) steps.lossScaler?.restore(state.loss_scaler);
    if (state.total_steps !== loop.plannedSteps) this.logger?.warn(`resuming with the checkpoint's schedule length ${state.total_steps} (this config plans ${loop.plannedSteps})`);
    this.logger?.info(`resumed from ${this.resumeDir} at step ${state.global_step}`);
  }

  /** The loop's state (trainer_state.json) and the optimizer's moments, written by the checkpointer. */
  private async checkpoint(checkpointer: Checkpointer, steps: StepExecutor, loop: LoopState): Promise<void> {
    const state: TrainerState = {
      version: TRAINER_STATE_VERSION,
      algo: this.config.algo,
      global_step: loop.step,
      total_steps: loop.totalSteps,
      data: loop.stream.current,
      seed: this.config.train.seed,
      log_window: loop.window.snapshot(),
      last_metrics: loop.lastMetrics,
      tokens_seen: loop.tokensSeen,
      run_name: this.runName,
      algorithm: this.driver.saveState(),
      ...(steps.lossScaler ? { loss_scaler: steps.lossScaler.state() } : {}),
    };
    await checkpointer.save(state, await steps.exportState(), steps.session.liveParams());
    this.followResidentWeights(steps.session);
  }
}

/** What a run creates that train() must release, also when it fails before the loop. */
interface HeldResources {
  steps?: StepExecutor;
  evalGraph?: CompiledGraph;
  evaluator?: UnifiedEvaluator;
  progress?: ProgressReporter;
}

/** What an evaluation runs: the loss graph on the eval rows, the evaluator's task metrics, or both. */
interface Evaluation {
  readonly graph?: CompiledGraph;
  readonly evaluator?: UnifiedEvaluator;
}

/** The loop's mutable position: steps, data stream, logging window. */
class LoopState {
  step = 0;
  tokensSeen = 0;
  window = new MetricWindow();
  lastMetrics: MetricRow = {};
  lastStep: MetricRow = {};
  /** Several ranks: whether any had a stop signal when the last step's values were reduced. */
  ranksStopping = false;
  readonly plannedSteps: number;
  private scheduleFor?: { total: number; fn: (step: number) => number };

  constructor(
    public totalSteps: number,
    readonly stream: BatchStream,
  ) {
    this.plannedSteps = totalSteps;
  }

  schedule(train: UnifiedConfig['train']): (step: number) => number {
    if (this.scheduleFor?.total !== this.totalSteps) this.scheduleFor = { total: this.totalSteps, fn: createSchedule(train, this.totalSteps) };
    return this.scheduleFor.fn;
  }
}

/** The documented column order: loss, learning_rate, grad_norm, tokens_per_second, then the algorithm's metrics. */
function orderedMetrics(means: MetricRow): MetricRow {
  const first = ['loss', 'learning_rate', 'grad_norm', ...TIMING_KEYS];
  const out: MetricRow = {};
  for (const key of first) if (key in means) out[key] = means[key]!;
  for (const key of Object.keys(means).sort()) if (!(key in out)) out[key] = means[key]!;
  return out;
}

/** `<algo>-YYYYMMDD-HHMMSS` in UTC. */
function defaultRunName(algo: string): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${algo}-${stamp}`;
}

function tensorBytes(tensors: readonly HostTensor[]): number {
  return tensors.reduce((sum, t) => sum + t.data.byteLength, 0);
}

/** One process's values: the means over its micro-batches. */
function stepMeans(results: readonly StepResult[]): MetricRow {
  const keys = ['loss', ...Object.keys(results[0]!.metrics)];
  return Object.fromEntries(keys.map((k) => [k, results.reduce((s, r) => s + Math.fround(k === 'loss' ? r.loss : r.metrics[k]!), 0) / results.length]));
}
