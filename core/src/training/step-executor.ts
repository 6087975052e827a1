import type { MemorySaving, TrainingConfig } from '../config/training-config.js';
import type { GraphExecutor, HostTensor } from '../engine/graph-executor.js';
import { Graph } from '../engine/ir/graph.js';
import type { Tensor } from '../engine/ir/tensor.js';
import { buildAccumulateStep, buildApplyStep, buildNormStep, buildTrainStep, paramGroups, totalBytes, type TrainStepSpec } from '../engine/optim/train-step.js';
import { TrainSession, type StepResult, type TrainSessionGraphs } from '../engine/optim/train-session.js';
import { createOptimizer } from './optimizer-config.js';

/** How an optimizer step runs: one fused run, accumulate × N + apply, or the grouped update of large models. */
export type StepMode = 'fused' | 'accumulated' | 'grouped';

export interface StepExecutorOptions {
  /** Optimizer, gradient clipping, accumulation and memory settings. */
  readonly train: TrainingConfig;
  /** Names the step graphs (the algorithm id). */
  readonly label: string;
  /** Builds the loss on a fresh graph with the trainable params among its inputs. */
  readonly buildLoss: (g: Graph) => { readonly loss: Tensor; readonly metrics?: Readonly<Record<string, Tensor>> };
  /** Initial values of the trained parameters by graph name. */
  readonly params: Readonly<Record<string, HostTensor>>;
}

/** One optimizer step's micro-batch results and the gradient norm of its update. */
export interface StepOutcome {
  readonly results: StepResult[];
  readonly gradNorm: number;
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
  ) {}

  static async create(executor: GraphExecutor, o: StepExecutorOptions): Promise<StepExecutor> {
    const spec = stepSpec(o, 'train');
    const accumulate = o.train.gradient_accumulation_steps;
    const saving = memorySaving(o.train, spec.params, executor.resident !== undefined);
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

  /** One optimizer step at learning rate `lr` over the micro-batches `next` collates (gradient_accumulation_steps of them). */
  async step(next: () => Readonly<Record<string, HostTensor>>, lr: number): Promise<StepOutcome> {
    if (this.accumulate === 1) {
      const result = await this.session.step(next(), lr);
      return { results: [result], gradNorm: result.gradNorm };
    }
    const results: StepResult[] = [];
    for (let i = 0; i < this.accumulate; i++) results.push(await this.session.accumulate(next(), 1 / this.accumulate));
    return { results, gradNorm: await this.session.applyAccumulated(lr) };
  }

  dispose(): Promise<void> {
    return this.session.dispose();
  }
}

/** The loss on a new graph, with the trainable params among its inputs. */
function stepSpec(o: StepExecutorOptions, name: string): TrainStepSpec {
  const g = new Graph(`${o.label}-${name}`);
  g.training = true;
  const { loss, metrics } = o.buildLoss(g);
  const params = g.inputs.filter((t) => (t.name as string) in o.params);
  return { graph: g, loss, params, metrics, optimizer: createOptimizer(o.train), maxGradNorm: o.train.max_grad_norm || null };
}

const MIB = 2 ** 20;
/** `memory_saving: auto` saves memory above this many bytes of trainable parameters. */
const AUTO_SAVING_ABOVE_BYTES = 256 * MIB;

/**
 * `memory_saving` with `auto` resolved: off on a backend that keeps state resident (nothing is copied per step,
 * so the grouped update has nothing to save), else by the size of the trainable parameters.
 */
function memorySaving(train: TrainingConfig, params: readonly Tensor[], resident: boolean): Exclude<MemorySaving, 'auto'> {
  if (train.memory_saving !== 'auto') return train.memory_saving;
  if (resident) return 'off';
  return totalBytes(params) > AUTO_SAVING_ABOVE_BYTES ? 'full' : 'off';
}
