import type { CompiledGraph, GraphExecutor, HostTensor } from '../graph-executor.js';
import { encodeModel } from '../onnx/onnx-encoder.js';
import { hostValues, hostTensor } from '../interpret/nd-array.js';
import { ParamStore, zeros } from './param-store.js';
import { stepNames, type StepProgram } from './train-step.js';
import { loopNames } from './loop-train-step.js';

export interface StepResult {
  loss: number;
  gradNorm: number;
  metrics: Record<string, number>;
}

export interface TrainSessionGraphs {
  /** Fused fwd+bwd+optimizer (`buildTrainStep`). */
  trainStep?: StepProgram;
  /** Gradient accumulation pair (`buildAccumulateStep` + `buildApplyStep`). */
  accumulate?: StepProgram;
  apply?: StepProgram;
  /** K steps per run (`buildLoopTrainStep`). */
  loop?: StepProgram;
}

function scalar(t: HostTensor | undefined): number {
  return t ? hostValues(t)[0] : NaN;
}

/**
 * Drives compiled step graphs: feeds params/state/batch/lr/step, takes the updated params and state
 * back. The step count is 1-based inside graphs (torch's `state['step']` after its increment).
 */
export class TrainSession {
  private readonly graphs = new Map<keyof TrainSessionGraphs, { program: StepProgram; compiled: CompiledGraph }>();
  private gradBuffers?: Map<string, HostTensor>;

  private constructor(readonly store: ParamStore) {}

  static async create(executor: GraphExecutor, programs: TrainSessionGraphs, params: Readonly<Record<string, HostTensor>>): Promise<TrainSession> {
    const first = Object.values(programs).find((p) => p) as StepProgram | undefined;
    if (!first) throw new Error('TrainSession needs at least one step program');
    const session = new TrainSession(new ParamStore(first, params));
    for (const [k, program] of Object.entries(programs) as Array<[keyof TrainSessionGraphs, StepProgram | undefined]>) {
      if (!program) continue;
      const compiled = await executor.compile(encodeModel(program.model), { label: program.model.graph.name });
      session.graphs.set(k, { program, compiled });
    }
    return session;
  }

  get params(): Record<string, HostTensor> {
    return this.store.paramFeeds();
  }

  private graph(k: keyof TrainSessionGraphs): { program: StepProgram; compiled: CompiledGraph } {
    const g = this.graphs.get(k);
    if (!g) throw new Error(`TrainSession was created without a '${k}' graph`);
    return g;
  }

  /** Only the inputs the compiled graph declares (ORT rejects unknown feeds). */
  private async run(k: keyof TrainSessionGraphs, feeds: Record<string, HostTensor>): Promise<Record<string, HostTensor>> {
    const { compiled } = this.graph(k);
    const used = Object.fromEntries(compiled.inputNames.map((n) => [n, feeds[n]]).filter(([, v]) => v)) as Record<string, HostTensor>;
    return compiled.run(used);
  }

  private scalars(lr: number, step: number): Record<string, HostTensor> {
    return { [stepNames.lr]: hostTensor('float64', [], [lr]), [stepNames.step]: hostTensor('float64', [], [step]) };
  }

  private result(k: keyof TrainSessionGraphs, out: Record<string, HostTensor>, gradNorm?: number): StepResult {
    const metrics = Object.fromEntries(this.graph(k).program.metrics.map((m) => [m, scalar(out[m])]));
    return { loss: scalar(out[stepNames.loss]), gradNorm: gradNorm ?? scalar(out[stepNames.gradNorm]), metrics };
  }

  /** One optimizer step on one batch, in one run. */
  async step(batch: Readonly<Record<string, HostTensor>>, lr: number): Promise<StepResult> {
    const out = await this.run('trainStep', { ...this.store.paramFeeds(), ...this.store.stateFeeds(), ...batch, ...this.scalars(lr, this.store.step + 1) });
    this.store.absorb(out);
    this.store.step++;
    return this.result('trainStep', out);
  }

  /** Adds `lossScale · ∂loss/∂p` of one micro-batch to the gradient buffers. */
  async accumulate(batch: Readonly<Record<string, HostTensor>>, lossScale: number): Promise<StepResult> {
    const { program } = this.graph('accumulate');
    this.gradBuffers ??= new Map(program.params.map((p) => [stepNames.grad(p.name), zeros(p.dtype, p.dims)]));
    const lossDtype = program.model.graph.input.find((i) => i.name === stepNames.lossScale)?.elemType === 11 ? 'float64' : 'float32';
    const feeds = { ...this.store.paramFeeds(), ...Object.fromEntries(this.gradBuffers), ...batch, [stepNames.lossScale]: hostTensor(lossDtype, [], [lossScale]) };
    const out = await this.run('accumulate', feeds);
    for (const k of this.gradBuffers.keys()) this.gradBuffers.set(k, out[stepNames.next(k)]);
    return this.result('accumulate', out, NaN);
  }

  /** Clip + optimizer step over the accumulated gradients; clears the buffers. */
  async applyAccumulated(lr: number): Promise<number> {
    if (!this.gradBuffers) throw new Error('applyAccumulated: nothing accumulated');
    const feeds = { ...this.store.paramFeeds(), ...this.store.stateFeeds(), ...Object.fromEntries(this.gradBuffers), ...this.scalars(lr, this.store.step + 1) };
    const out = await this.run('apply', feeds);
    this.store.absorb(out);
    this.store.step++;
    this.gradBuffers = undefined;
    return scalar(out[stepNames.gradNorm]);
  }

  /** K optimizer steps in one run: batch tensors stacked on a new leading axis of size K, one lr per step. */
  async steps(stacked: Readonly<Record<string, HostTensor>>, lrs: readonly number[]): Promise<StepResult[]> {
    const feeds = {
      ...this.store.paramFeeds(),
      ...this.store.stateFeeds(),
      ...stacked,
      [loopNames.lrs]: hostTensor('float64', [lrs.length], lrs),
      [stepNames.step]: hostTensor('float64', [], [this.store.step + 1]),
    };
    const out = await this.run('loop', feeds);
    this.store.absorb(out);
    this.store.step += lrs.length;
    const losses = hostValues(out[loopNames.losses]);
    const norms = hostValues(out[loopNames.gradNorms]);
    return lrs.map((_, i) => ({ loss: losses[i], gradNorm: norms[i], metrics: {} }));
  }

  async dispose(): Promise<void> {
    for (const { compiled } of this.graphs.values()) await compiled.dispose();
    this.graphs.clear();
  }
}
