import type { MemorySaving, TrainingConfig } from '../config/training-config.js';
import { withAutocast } from '../engine/autocast.js';
import type { ComputeDtype, GraphExecutor, HostTensor } from '../engine/graph-executor.js';
import { hostTensor } from '../engine/interpret/nd-array.js';
import { Graph } from '../engine/ir/graph.js';
import type { Tensor } from '../engine/ir/tensor.js';
import { buildAccumulateStep, buildApplyStep, buildNormStep, buildTrainStep, paramGroups, stepNames, totalBytes, type TrainStepSpec } from '../engine/optim/train-step.js';
import type { OptimizerStateSnapshot } from '../engine/optim/param-store.js';
import { TrainSession, type StepResult, type TrainSessionGraphs } from '../engine/optim/train-session.js';
import type { ProcessGroup } from '../engine/process-group.js';
import { inPlace } from './collective-buffers.js';
import type { LossScaler } from './loss-scaler.js';
import { requireFusedStep } from './mixed-precision.js';
import { createOptimizer } from './optimizer-config.js';
import { ZeroOptimizer } from './zero-optimizer.js';

/** How an optimizer step runs: one fused run, accumulate × N + apply, or the grouped update of large models. */
export type StepMode = 'fused' | 'accumulated' | 'grouped' | 'data-parallel';

/** Several ranks: how gradients meet (stage 0 = ddp's allreduce; 1/2 = ZeRO's sharded optimizer, see ZeroOptimizer). */
export interface DataParallel {
  readonly group: ProcessGroup;
  readonly zeroStage: 0 | 1 | 2;
}

/** A micro-batch's feeds and its loss normaliser (the tokens of a token mean, the rows of a row mean: TrainBatch.weight). */
export interface WeightedFeeds {
  readonly feeds: Readonly<Record<string, HostTensor>>;
  readonly weight: number;
  /** The normaliser of its metrics (TrainBatch.metricWeight). */
  readonly metricWeight: number;
}

export interface StepExecutorOptions {
  /** Optimizer, gradient clipping, accumulation and memory settings. */
  readonly train: TrainingConfig;
  /** Names the step graphs (the algorithm id). */
  readonly label: string;
  /** Builds the loss on a fresh graph with the trainable params among its inputs. */
  readonly buildLoss: (g: Graph) => { readonly loss: Tensor; readonly metrics?: Readonly<Record<string, Tensor>> };
  /** Initial values of the trained parameters by graph name. */
  readonly params: Readonly<Record<string, HostTensor>>;
  /** Set when several ranks train together. */
  readonly parallel?: DataParallel;
  /** `model.gradient_checkpointing`: the backward recomputes each decoder layer from its input. */
  readonly recompute?: boolean;
  /** Mixed precision on a backend that computes in this dtype: the loss's MatMuls run in it (engine/autocast.ts). */
  readonly autocast?: ComputeDtype;
  /** float16 mixed precision's dynamic loss scaling: S fed to each step, updated after it. */
  readonly lossScaler?: LossScaler;
}

/** One optimizer step's micro-batch results and the gradient norm of its update. */
export interface StepOutcome {
  readonly results: StepResult[];
  readonly gradNorm: number;
  /** Set when loss scaling skipped the update (non-finite gradients): the scale it ran with. */
  readonly skippedAtScale?: number;
}

/** A data-parallel step: also each micro-batch's normalisers (loss, metrics) here and summed over the ranks (for weighting the logged values). */
export interface ParallelStepOutcome extends StepOutcome {
  readonly weights: readonly number[];
  readonly totals: readonly number[];
  readonly metricWeights: readonly number[];
  readonly metricTotals: readonly number[];
}

/**
 * Runs optimizer steps on a TrainSession: fused (one run per step), accumulated (gradient_accumulation_steps runs
 * then one apply) or grouped (`memory_saving`: gradients, one global norm, then the update group by group of
 * optimizer_group_mb). Micro-batches are collated one at a time, as each is run.
 */
export class StepExecutor {
  private constructor(
    readonly session: TrainSession,
    readonly mode: StepMode,
    private readonly accumulate: number,
    private readonly parallel?: DataParallel,
    readonly zero?: ZeroOptimizer,
    readonly lossScaler?: LossScaler,
  ) {}

  static async create(executor: GraphExecutor, o: StepExecutorOptions): Promise<StepExecutor> {
    if (o.lossScaler) return StepExecutor.createScaled(executor, o, o.lossScaler);
    if (o.parallel) return StepExecutor.createParallel(executor, o, o.parallel);
    const spec = stepSpec(o, 'train');
    const accumulate = o.train.gradient_accumulation_steps;
    const saving = memorySaving(o.train, totalBytes(spec.params), executor.resident !== undefined);
    let programs: TrainSessionGraphs;
    let mode: StepMode;
    if (saving === 'off') {
      mode = accumulate > 1 ? 'accumulated' : 'fused';
      programs = mode === 'fused' ? { trainStep: buildTrainStep(spec) } : { accumulate: buildAccumulateStep(spec), apply: buildApplyStep(spec) };
      // resident gradients: a step's first micro-batch writes fresh ones instead of adding to zeroed buffers
      if (mode === 'accumulated' && executor.resident) programs.gradient = buildAccumulateStep(stepSpec(o, 'gradient'), { fresh: true });
    } else {
      mode = 'grouped';
      const groups = paramGroups(spec.params, o.train.optimizer_group_mb * MIB);
      programs = {
        gradient: buildAccumulateStep(spec, { fresh: true }),
        accumulate: accumulate > 1 ? buildAccumulateStep(stepSpec(o, 'accumulate')) : undefined,
        norm: buildNormStep(spec),
        applyGroups: groups.map((params, i) => buildApplyStep({ ...spec, params }, { externalNorm: true, name: `apply_${i}` })),
      };
    }
    const session = await TrainSession.create(executor, programs, o.params, { leanMemory: saving === 'full' });
    return new StepExecutor(session, mode, accumulate);
  }

  /**
   * float16 mixed precision: one fused run per optimizer step, the loss scaled and overflowed steps skipped in the
   * graph. The other step modes split the backward from the update and would need the overflow check between them:
   * not built, so they are refused rather than run unscaled.
   */
  private static async createScaled(executor: GraphExecutor, o: StepExecutorOptions, scaler: LossScaler): Promise<StepExecutor> {
    const spec = stepSpec(o, 'train');
    const saving = memorySaving(o.train, totalBytes(spec.params), executor.resident !== undefined);
    requireFusedStep(o.train, o.parallel?.group.worldSize ?? 1, saving);
    const session = await TrainSession.create(executor, { trainStep: buildTrainStep({ ...spec, lossScaling: true }) }, o.params);
    return new StepExecutor(session, 'fused', 1, undefined, undefined, scaler);
  }

  /**
   * Several ranks: gradients (fresh, then accumulated) and the update as separate runs, so the gradients are
   * reduced across ranks between them. Under ZeRO the session keeps no optimizer state (ZeroOptimizer holds this
   * rank's shard) and owns a copy of the params, which the update writes in place.
   */
  private static async createParallel(executor: GraphExecutor, o: StepExecutorOptions, parallel: DataParallel): Promise<StepExecutor> {
    const spec = stepSpec(o, 'train');
    const programs: TrainSessionGraphs = { gradient: buildAccumulateStep(spec, { fresh: true }) };
    if (o.train.gradient_accumulation_steps > 1) programs.accumulate = buildAccumulateStep(stepSpec(o, 'accumulate'));
    if (parallel.zeroStage === 0) {
      programs.apply = buildApplyStep(spec);
      const session = await TrainSession.create(executor, programs, o.params);
      return new StepExecutor(session, 'data-parallel', o.train.gradient_accumulation_steps, parallel);
    }
    const params = Object.fromEntries(Object.entries(o.params).map(([name, t]) => [name, { ...t, dims: [...t.dims], data: t.data.slice() }]));
    const session = await TrainSession.create(executor, programs, params, { externalUpdate: true });
    const zero = await ZeroOptimizer.create(executor, { group: parallel.group, stage: parallel.zeroStage, params: programs.gradient!.params, optimizer: spec.optimizer, maxGradNorm: spec.maxGradNorm ?? null });
    return new StepExecutor(session, 'data-parallel', o.train.gradient_accumulation_steps, parallel, zero);
  }

  /**
   * One data-parallel step: this rank's micro-batches are collated first, so that each is scaled by its share of
   * the global normaliser (its weight over the sum across ranks, over the accumulation count) and the summed
   * gradients equal one process's on the global batch (docs/distributed.md); then the update.
   */
  async stepAcrossRanks(next: () => WeightedFeeds, lr: number): Promise<ParallelStepOutcome> {
    const { group } = this.parallel!;
    const batches = Array.from({ length: this.accumulate }, next);
    const totals = Float64Array.from(batches, (b) => b.weight);
    const metricTotals = Float64Array.from(batches, (b) => b.metricWeight);
    await group.allReduce([totals, metricTotals], 'sum');
    const results: StepResult[] = [];
    for (const [k, b] of batches.entries()) results.push(await this.session.accumulate(b.feeds, totals[k]! > 0 ? b.weight / totals[k]! / this.accumulate : 0));
    const grads = this.session.accumulatedGradients();
    let gradNorm: number;
    if (this.zero) {
      gradNorm = await this.zero.step(new Map(Object.entries(this.session.currentParams())), grads, lr, this.session.store.step + 1);
      this.session.clearGradients();
    } else {
      await inPlace(grads.values(), (buffers) => group.allReduce(buffers, 'sum'));
      gradNorm = await this.session.applyAccumulated(lr);
    }
    return { results, gradNorm, weights: batches.map((b) => b.weight), totals: [...totals], metricWeights: batches.map((b) => b.metricWeight), metricTotals: [...metricTotals] };
  }

  /**
   * The optimizer state as checkpoints hold it, to be written before the next step (resident tensors are read out
   * one at a time as the checkpoint writes them: ParamStore.stateViews; under ZeRO gathered on rank 0: every rank calls it).
   */
  exportState(): Promise<OptimizerStateSnapshot> | OptimizerStateSnapshot {
    return this.zero ? this.zero.exportState(this.session.store.step) : this.session.store.stateViews();
  }

  importState(snapshot: OptimizerStateSnapshot): void {
    this.session.store.importState(snapshot);
    this.zero?.importState(snapshot);
  }

  /** One optimizer step at learning rate `lr` over the micro-batches `next` collates (gradient_accumulation_steps of them). */
  async step(next: () => Readonly<Record<string, HostTensor>>, lr: number): Promise<StepOutcome> {
    if (this.lossScaler) return this.scaledStep(next(), lr, this.lossScaler);
    if (this.accumulate === 1) {
      const result = await this.session.step(next(), lr);
      return { results: [result], gradNorm: result.gradNorm };
    }
    const results: StepResult[] = [];
    for (let i = 0; i < this.accumulate; i++) results.push(await this.session.accumulate(next(), 1 / this.accumulate));
    return { results, gradNorm: await this.session.applyAccumulated(lr) };
  }

  /** A skipped step is no optimizer step (GradScaler skips optimizer.step()): AdamW's step count stays where it was. */
  private async scaledStep(feeds: Readonly<Record<string, HostTensor>>, lr: number, scaler: LossScaler): Promise<StepOutcome> {
    const scale = scaler.scale;
    const result = await this.session.step({ ...feeds, [stepNames.ampScale]: hostTensor('float32', [], [scale]) }, lr);
    const finite = Number.isFinite(result.gradNorm);
    if (!finite) this.session.store.step--;
    scaler.update(finite);
    return { results: [result], gradNorm: result.gradNorm, ...(finite ? {} : { skippedAtScale: scale }) };
  }

  async dispose(): Promise<void> {
    await this.zero?.dispose();
    await this.session.dispose();
  }
}

/** The loss on a new graph, with the trainable params among its inputs. */
function stepSpec(o: StepExecutorOptions, name: string): TrainStepSpec {
  const g = new Graph(`${o.label}-${name}`);
  g.training = true;
  g.checkpointing = o.recompute ?? false;
  const { loss, metrics } = o.autocast ? withAutocast(g, o.autocast, () => o.buildLoss(g)) : o.buildLoss(g);
  const params = g.inputs.filter((t) => (t.name as string) in o.params);
  return { graph: g, loss, params, metrics, optimizer: createOptimizer(o.train), maxGradNorm: o.train.max_grad_norm || null, recompute: o.recompute };
}

const MIB = 2 ** 20;
/** `memory_saving: auto` saves memory above this many bytes of trainable parameters. */
const AUTO_SAVING_ABOVE_BYTES = 256 * MIB;

/**
 * `memory_saving` with `auto` resolved: off on a backend that keeps state resident (nothing is copied per step,
 * so the grouped update has nothing to save), else by the size of the trainable parameters.
 */
export function memorySaving(train: TrainingConfig, paramBytes: number, resident: boolean): Exclude<MemorySaving, 'auto'> {
  if (train.memory_saving !== 'auto') return train.memory_saving;
  if (resident) return 'off';
  return paramBytes > AUTO_SAVING_ABOVE_BYTES ? 'full' : 'off';
}
