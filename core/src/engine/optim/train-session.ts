import { compileWithSharedWeights } from '../compile-with-shared-weights.js';
import type { CompiledGraph, GraphExecutor, HostTensor, ResidentTensor, ResidentValues, RunValue } from '../graph-executor.js';
import { inPlaceOutputs } from '../onnx/in-place-outputs.js';
import { hostValues, hostTensor } from '../interpret/nd-array.js';
import { ParamStore, zeros } from './param-store.js';
import { stepNames, type StepProgram } from './train-step.js';
import { loopNames } from './loop-train-step.js';
import { collectGarbage } from './collect-garbage.js';

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
  /**
   * The grouped update (large models): `buildAccumulateStep(spec, { fresh: true })` for a step's first
   * micro-batch, `buildNormStep` for the global norm, and one `buildApplyStep(..., { externalNorm: true })`
   * per parameter group. `step` then runs gradient → norm → groups; `accumulate` adds further micro-batches.
   */
  gradient?: StepProgram;
  norm?: StepProgram;
  applyGroups?: readonly StepProgram[];
  /** K steps per run (`buildLoopTrainStep`). */
  loop?: StepProgram;
}

/** The names (params, state or gradients) whose `<name>::next` every one of `programs` proves safe to write in place. */
function provenInPlace(programs: readonly StepProgram[], names: readonly string[]): Set<string> {
  const pairs = new Map(names.map((name) => [stepNames.next(name), name]));
  const proofs = programs.map((p) => inPlaceOutputs(p.model.graph, pairs));
  return new Set(names.filter((name) => proofs.length > 0 && proofs.every((proven) => proven.has(stepNames.next(name)))));
}

function scalar(t: HostTensor | undefined): number {
  return t ? hostValues(t)[0] : NaN;
}

/**
 * Drives compiled step graphs: feeds params/state/batch/lr/step, takes the updated params and state
 * back. The step count is 1-based inside graphs (torch's `state['step']` after its increment).
 */
type GraphKey = Exclude<keyof TrainSessionGraphs, 'applyGroups'> | `apply-group-${number}`;

export class TrainSession {
  private readonly graphs = new Map<GraphKey, { program: StepProgram; compiled: CompiledGraph }>();
  private groupCount = 0;
  private gradBuffers?: Map<string, RunValue>;
  /** Resident mode: the two gradient sets the accumulation alternates between (made on first use). */
  private gradSets?: { current: Map<string, ResidentTensor>; spare: Map<string, ResidentTensor> };
  /** Resident mode: the accumulation graph proves its gradient update safe in place, so one gradient set serves. */
  private gradsInPlace = false;

  private constructor(
    readonly store: ParamStore,
    private readonly residentValues?: ResidentValues,
  ) {}

  /**
   * Compiles the programs. The update and norm graphs of the grouped update are all outputs: they never keep
   * working memory between runs (an arena would pin every group's outputs at once). `leanMemory` releases the
   * gradient run's working memory (activations) after each run too: the lowest peak, at the cost of
   * re-allocating it every step. `externalUpdate` (ZeRO's sharded optimizer) keeps params as host tensors and no
   * optimizer state: the caller updates the params in place from `accumulatedGradients()` and calls `clearGradients()`.
   */
  static async create(executor: GraphExecutor, programs: TrainSessionGraphs, params: Readonly<Record<string, HostTensor>>, { leanMemory = false, externalUpdate = false } = {}): Promise<TrainSession> {
    const { applyGroups = [], ...single } = programs;
    const entries: Array<[GraphKey, StepProgram]> = [
      ...(Object.entries(single) as Array<[GraphKey, StepProgram | undefined]>).filter((e): e is [GraphKey, StepProgram] => e[1] !== undefined),
      ...applyGroups.map((p, i): [GraphKey, StepProgram] => [`apply-group-${i}`, p]),
    ];
    const whole = entries.find(([, p]) => p.kind !== 'apply' && p.kind !== 'norm') ?? entries[0];
    if (!whole) throw new Error('TrainSession needs at least one step program');
    // params, state and gradients stay in the backend for the whole run where it can keep them; the grouped
    // update and the K-step loop exist for host-tensor backends and keep host tensors
    const resident = applyGroups.length === 0 && !programs.loop && !externalUpdate ? executor.resident : undefined;
    const session = new TrainSession(new ParamStore(externalUpdate ? { ...whole[1], slots: [] } : whole[1], params), resident);
    if (resident) session.makeResident(resident, entries.map(([, p]) => p));
    session.groupCount = applyGroups.length;
    for (const [k, program] of entries) {
      const updateOnly = session.groupCount > 0 && (program.kind === 'apply' || program.kind === 'norm');
      const compiled = await compileWithSharedWeights(executor, program.model, { label: program.model.graph.name, reuseMemory: !leanMemory && !updateOnly });
      session.graphs.set(k, { program, compiled });
    }
    return session;
  }

  /**
   * Params and state into the backend, each updated in place where every graph that writes it proves that safe
   * (else alternating with a spare tensor); gradients likewise, as one set where the accumulation graph proves it.
   */
  private makeResident(values: ResidentValues, programs: readonly StepProgram[]): void {
    const names = [...this.store.params.keys(), ...this.store.state.keys()];
    const updates = programs.filter((p) => p.kind === 'train-step' || p.kind === 'apply');
    this.store.makeResident(values, provenInPlace(updates, names));
    const accumulate = programs.find((p) => p.kind === 'accumulate');
    const grads = accumulate ? accumulate.params.map((p) => stepNames.grad(p.name)) : [];
    this.gradsInPlace = grads.length > 0 && provenInPlace([accumulate!], grads).size === grads.length;
  }

  /** The current parameters as host tensors (a copy read out of the backend when resident). */
  get params(): Record<string, HostTensor> {
    return this.store.paramFeeds();
  }

  /** The current parameters as views read out of the backend at each access and never kept (for saving: see ParamStore.liveParams). */
  liveParams(): Record<string, HostTensor> {
    return this.store.liveParams();
  }

  /**
   * The current parameters as run values: resident tensors when resident (valid until the next step writes the
   * other set), else host tensors. For feeding other graphs of the same backend (rollouts, scoring) without a copy.
   */
  currentParams(): Record<string, RunValue> {
    return Object.fromEntries(this.store.params);
  }

  /** Whether params and optimizer state live in the backend between steps. */
  get resident(): boolean {
    return this.store.resident;
  }

  private graph(k: GraphKey): { program: StepProgram; compiled: CompiledGraph } {
    const g = this.graphs.get(k);
    if (!g) throw new Error(`TrainSession was created without a '${k}' graph`);
    return g;
  }

  /** Only the inputs the compiled graph declares (ORT rejects unknown feeds); `into` receives resident outputs. */
  private async run(k: GraphKey, feeds: Record<string, RunValue>, into?: Record<string, ResidentTensor>, inPlace: readonly string[] = []): Promise<Record<string, HostTensor>> {
    const { compiled } = this.graph(k);
    const used = Object.fromEntries(compiled.inputNames.map((n) => [n, feeds[n]]).filter(([, v]) => v)) as Record<string, RunValue>;
    return compiled.run(used, undefined, into && { into, inPlace });
  }

  /** Runs a graph whose outputs include every `<p>::next` and `<p>::<slot>::next`, then takes the new params and state. */
  private async update(k: GraphKey, feeds: Record<string, RunValue>): Promise<Record<string, HostTensor>> {
    if (!this.store.resident) {
      const out = await this.run(k, feeds);
      this.store.absorb(out);
      return out;
    }
    const out = await this.run(k, feeds, this.store.into(), this.store.inPlaceOutputs());
    this.store.swap();
    return out;
  }

  private scalars(lr: number, step: number): Record<string, HostTensor> {
    return { [stepNames.lr]: hostTensor('float64', [], [lr]), [stepNames.step]: hostTensor('float64', [], [step]) };
  }

  private result(k: GraphKey, out: Record<string, HostTensor>, gradNorm?: number): StepResult {
    const metrics = Object.fromEntries(this.graph(k).program.metrics.map((m) => [m, scalar(out[m])]));
    return { loss: scalar(out[stepNames.loss]), gradNorm: gradNorm ?? scalar(out[stepNames.gradNorm]), metrics };
  }

  /** One optimizer step on one batch: one run, or gradient + grouped update for the grouped programs. */
  async step(batch: Readonly<Record<string, HostTensor>>, lr: number): Promise<StepResult> {
    if (!this.graphs.has('trainStep')) {
      const result = await this.accumulate(batch, 1);
      return { ...result, gradNorm: await this.applyAccumulated(lr) };
    }
    const out = await this.update('trainStep', { ...this.store.runFeeds(), ...batch, ...this.scalars(lr, this.store.step + 1) });
    this.store.step++;
    return this.result('trainStep', out);
  }

  /** Adds `lossScale · ∂loss/∂p` of one micro-batch to the gradient buffers. */
  async accumulate(batch: Readonly<Record<string, HostTensor>>, lossScale: number): Promise<StepResult> {
    // the first micro-batch of a step needs no zero buffers when a fresh-gradient graph exists
    const key = !this.gradBuffers && this.graphs.has('gradient') ? 'gradient' : 'accumulate';
    const { program } = this.graph(key);
    const lossDtype = program.model.graph.input.find((i) => i.name === stepNames.lossScale)?.elemType === 11 ? 'float64' : 'float32';
    const feeds = { ...Object.fromEntries(this.store.params), ...batch, [stepNames.lossScale]: hostTensor(lossDtype, [], [lossScale]) };
    const out = this.residentValues ? await this.accumulateResident(key, program, feeds) : await this.accumulateHost(key, program, feeds);
    return this.result(key, out, NaN);
  }

  private async accumulateHost(key: GraphKey, program: StepProgram, feeds: Record<string, RunValue>): Promise<Record<string, HostTensor>> {
    // the buffers are kept only once a run succeeded, so a failed micro-batch leaves no half-made step behind
    const buffers = this.gradBuffers ?? (key === 'gradient' ? new Map() : new Map(program.params.map((p) => [stepNames.grad(p.name), zeros(p.dtype, p.dims)])));
    const out = await this.run(key, { ...feeds, ...Object.fromEntries(buffers) });
    for (const p of program.params) buffers.set(stepNames.grad(p.name), out[stepNames.next(stepNames.grad(p.name))]);
    this.gradBuffers = buffers;
    return out;
  }

  /** Gradients alternate between two resident sets like params and state; a fresh step without a 'gradient' graph zeroes the current set. */
  private async accumulateResident(key: GraphKey, program: StepProgram, feeds: Record<string, RunValue>): Promise<Record<string, HostTensor>> {
    const sets = (this.gradSets ??= this.gradSetPair(program));
    if (!this.gradBuffers && key !== 'gradient') for (const t of sets.current.values()) t.write(zeros(t.dtype, t.dims));
    const into = Object.fromEntries([...sets.spare].map(([name, t]) => [stepNames.next(name), t]));
    const inPlace = sets.current === sets.spare ? Object.keys(into) : [];
    const out = await this.run(key, { ...feeds, ...Object.fromEntries(sets.current) }, into, inPlace);
    [sets.current, sets.spare] = [sets.spare, sets.current];
    this.gradBuffers = new Map(sets.current);
    return out;
  }

  /** The current and spare gradient sets: one set as both when the accumulation is proven safe in place. */
  private gradSetPair(program: StepProgram): { current: Map<string, ResidentTensor>; spare: Map<string, ResidentTensor> } {
    const current = this.gradSet(program);
    return { current, spare: this.gradsInPlace ? current : this.gradSet(program) };
  }

  private gradSet(program: StepProgram): Map<string, ResidentTensor> {
    return new Map(program.params.map((p) => [stepNames.grad(p.name), this.residentValues!.create({ dtype: p.dtype, dims: p.dims })]));
  }

  /** The step's accumulated gradients by `<p>::grad` name, where they live: a data-parallel step reduces them across ranks in place before the update. */
  accumulatedGradients(): ReadonlyMap<string, RunValue> {
    if (!this.gradBuffers) throw new Error('accumulatedGradients: nothing accumulated');
    return this.gradBuffers;
  }

  /** Ends a step whose update ran outside the session (`externalUpdate`). */
  clearGradients(): void {
    this.gradBuffers = undefined;
    this.store.step++;
  }

  /** Clip + optimizer step over the accumulated gradients; clears the buffers. */
  async applyAccumulated(lr: number): Promise<number> {
    if (!this.gradBuffers) throw new Error('applyAccumulated: nothing accumulated');
    if (this.groupCount > 0) return this.applyGrouped(lr);
    const feeds = { ...this.store.runFeeds(), ...Object.fromEntries(this.gradBuffers), ...this.scalars(lr, this.store.step + 1) };
    const out = await this.update('apply', feeds);
    this.store.step++;
    this.gradBuffers = undefined;
    return scalar(out[stepNames.gradNorm]);
  }

  /**
   * The global norm in one run, then each group's update; a group's old tensors and gradients are released
   * as soon as its new ones are absorbed, so only one group's update is ever held twice.
   */
  private async applyGrouped(lr: number): Promise<number> {
    const grads = this.gradBuffers!;
    const norm = (await this.run('norm', Object.fromEntries(grads)))[stepNames.gradNorm]!;
    const scalars = { ...this.scalars(lr, this.store.step + 1), [stepNames.gradNorm]: norm };
    for (let i = 0; i < this.groupCount; i++) {
      const key: GraphKey = `apply-group-${i}`;
      const names = this.graph(key).program.params.map((p) => p.name);
      const out = await this.run(key, { ...this.store.runFeeds(), ...Object.fromEntries(grads), ...scalars });
      this.store.absorb(out, names);
      for (const n of names) grads.delete(stepNames.grad(n));
      collectGarbage(); // the group's old weights, state and gradients are garbage now: free them before the next group
    }
    this.store.step++;
    this.gradBuffers = undefined;
    return scalar(norm);
  }

  /** K optimizer steps in one run: batch tensors stacked on a new leading axis of size K, one lr per step. */
  async steps(stacked: Readonly<Record<string, HostTensor>>, lrs: readonly number[]): Promise<StepResult[]> {
    const feeds = {
      ...this.store.runFeeds(),
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
    this.store.dispose();
    for (const t of new Set([...(this.gradSets?.current.values() ?? []), ...(this.gradSets?.spare.values() ?? [])])) t.dispose();
    this.gradSets = undefined;
  }
}
