import type { CompiledGraph, GraphExecutor, HostTensor, RunValue } from '../engine/graph-executor.js';
import { hostTensor } from '../engine/interpret/nd-array.js';
import { Graph } from '../engine/ir/graph.js';
import { encodeModel } from '../engine/onnx/onnx-encoder.js';
import type { GraphOptimizer } from '../engine/optim/optimizer.js';
import type { OptimizerStateSnapshot } from '../engine/optim/param-store.js';
import { buildApplyStep, stepNames } from '../engine/optim/train-step.js';
import type { ProcessGroup } from '../engine/process-group.js';

/** A contiguous run of one parameter's elements: ZeRO's flat partition cut at tensor boundaries. */
interface Segment {
  readonly name: string;
  readonly start: number;
  readonly end: number;
  readonly owner: number;
}

export interface ZeroOptions {
  readonly group: ProcessGroup;
  /** 1: gradients allreduced, optimizer state sharded; 2: gradients reduced to each shard's owner only. */
  readonly stage: 1 | 2;
  readonly params: ReadonlyArray<{ name: string; dtype: string; dims: readonly number[] }>;
  readonly optimizer: GraphOptimizer;
  readonly maxGradNorm: number | null;
}

/**
 * DeepSpeed's ZeRO stage 1/2 over whole-step graphs: the flat parameter vector is cut into world-size equal
 * ranges; each rank keeps the optimizer state of its range only and updates it with one apply graph over its
 * segments, then every range is broadcast from its owner (the all-gather). The gradient norm for clipping is
 * summed from each rank's range. Checkpoints hold the whole state (gathered on rank 0), so they resume at any
 * world size.
 */
export class ZeroOptimizer {
  private state = new Map<string, HostTensor>();

  private constructor(
    private readonly options: ZeroOptions,
    private readonly segments: readonly Segment[],
    private readonly apply: CompiledGraph | undefined,
  ) {
    for (const s of this.owned) for (const slot of options.optimizer.slots) this.state.set(stepNames.state(s.name, slot), hostTensor('float32', [s.end - s.start], new Float32Array(s.end - s.start)));
  }

  static async create(executor: GraphExecutor, options: ZeroOptions): Promise<ZeroOptimizer> {
    for (const p of options.params) if (p.dtype !== 'float32') throw new Error(`ZeRO shards float32 parameters; ${p.name} is ${p.dtype}`);
    const segments = partition(options.params, options.group.worldSize);
    const owned = segments.filter((s) => s.owner === options.group.rank);
    let apply: CompiledGraph | undefined;
    if (owned.length > 0) {
      const g = new Graph('zero_shard');
      const params = owned.map((s) => g.input(s.name, 'float32', [s.end - s.start]));
      const program = buildApplyStep({ params, optimizer: options.optimizer, maxGradNorm: options.maxGradNorm }, { externalNorm: true, name: `zero_apply_rank${options.group.rank}` });
      apply = await executor.compile(encodeModel(program.model), { label: `ZeRO shard of rank ${options.group.rank}` });
    }
    return new ZeroOptimizer(options, segments, apply);
  }

  private get owned(): Segment[] {
    return this.segments.filter((s) => s.owner === this.options.group.rank);
  }

  /** Bytes of optimizer state this rank holds (the single-process total divided by the world size, to a tensor's rounding). */
  get stateBytes(): number {
    return [...this.state.values()].reduce((sum, t) => sum + t.data.byteLength, 0);
  }

  /** Each rank's optimizer-state bytes against one process's, as a log line (a collective every rank calls). */
  async describeShards(): Promise<string> {
    const { group, stage, params, optimizer } = this.options;
    const bytes = new Float64Array(group.worldSize);
    bytes[group.rank] = this.stateBytes;
    await group.allReduce([bytes], 'sum');
    const whole = params.reduce((sum, p) => sum + count(p.dims), 0) * 4 * optimizer.slots.length;
    return `ZeRO stage ${stage}: optimizer state per rank ${[...bytes].map((b) => `${b} bytes`).join(', ')}; one process would hold ${whole} bytes`;
  }

  /** Reduces the gradients (allreduce for stage 1, to each range's owner for stage 2), updates this rank's range, gathers every range; returns the global gradient norm. */
  async step(params: ReadonlyMap<string, RunValue>, grads: ReadonlyMap<string, RunValue>, lr: number, step: number): Promise<number> {
    const { group, stage } = this.options;
    const gradOf = (name: string) => hostData(grads.get(stepNames.grad(name)), name);
    const paramOf = (name: string) => hostData(params.get(name), name);
    if (stage === 1) await group.allReduce([...grads.values()].map((g) => hostData(g, 'gradient')), 'sum');
    else await this.byOwner((owner, segs) => group.reduce(segs.map((s) => gradOf(s.name).subarray(s.start, s.end)), owner));
    const sumOfSquares = new Float64Array(1);
    for (const s of this.owned) for (const v of gradOf(s.name).subarray(s.start, s.end)) sumOfSquares[0]! += v * v;
    await group.allReduce([sumOfSquares], 'sum');
    const norm = Math.sqrt(sumOfSquares[0]!);
    if (this.apply) await this.update(paramOf, gradOf, { lr, step, norm });
    await this.byOwner((owner, segs) => group.broadcast(segs.map((s) => paramOf(s.name).subarray(s.start, s.end)), owner));
    return norm;
  }

  private async update(paramOf: (n: string) => Float32Array, gradOf: (n: string) => Float32Array, { lr, step, norm }: { lr: number; step: number; norm: number }): Promise<void> {
    const feeds: Record<string, HostTensor> = {
      [stepNames.lr]: hostTensor('float64', [], [lr]),
      [stepNames.step]: hostTensor('float64', [], [step]),
      [stepNames.gradNorm]: hostTensor('float64', [], [norm]),
      ...Object.fromEntries(this.state),
    };
    for (const s of this.owned) {
      feeds[s.name] = hostTensor('float32', [s.end - s.start], paramOf(s.name).subarray(s.start, s.end));
      feeds[stepNames.grad(s.name)] = hostTensor('float32', [s.end - s.start], gradOf(s.name).subarray(s.start, s.end));
    }
    const out = await this.apply!.run(Object.fromEntries(this.apply!.inputNames.map((n) => [n, feeds[n]!])));
    for (const s of this.owned) paramOf(s.name).set(out[stepNames.next(s.name)]!.data as Float32Array, s.start);
    for (const name of this.state.keys()) this.state.set(name, out[stepNames.next(name)]!);
  }

  /** The whole optimizer state on rank 0 (each range reduced from its owner; a collective every rank calls), in the single-process layout. */
  async exportState(step: number): Promise<OptimizerStateSnapshot> {
    const full = new Map<string, Float32Array>();
    for (const p of this.options.params) for (const slot of this.options.optimizer.slots) full.set(stepNames.state(p.name, slot), new Float32Array(count(p.dims)));
    for (const s of this.owned) for (const slot of this.options.optimizer.slots) full.get(stepNames.state(s.name, slot))!.set(this.state.get(stepNames.state(s.name, slot))!.data as Float32Array, s.start);
    await this.options.group.reduce([...full.values()], 0);
    const dims = new Map(this.options.params.map((p) => [p.name, p.dims]));
    const tensors = Object.fromEntries([...full].map(([name, data]) => [name, { dtype: 'float32' as const, dims: [...dims.get(name.slice(0, name.lastIndexOf('::')))!], data }]));
    return { optimizer: this.options.optimizer.kind, step, tensors };
  }

  /** Takes this rank's ranges of a whole (checkpointed) optimizer state. */
  importState(snapshot: OptimizerStateSnapshot): void {
    if (snapshot.optimizer !== this.options.optimizer.kind) throw new Error(`optimizer state is for ${snapshot.optimizer}, not ${this.options.optimizer.kind}`);
    for (const s of this.owned) {
      for (const slot of this.options.optimizer.slots) {
        const name = stepNames.state(s.name, slot);
        const saved = snapshot.tensors[name];
        if (!saved) throw new Error(`optimizer state ${name} is missing`);
        this.state.set(name, hostTensor('float32', [s.end - s.start], (saved.data as Float32Array).subarray(s.start, s.end)));
      }
    }
  }

  async dispose(): Promise<void> {
    await this.apply?.dispose();
  }

  /** Runs one collective per owner rank, with the segments it owns (every rank calls them in the same order). */
  private async byOwner(fn: (owner: number, segments: Segment[]) => Promise<void>): Promise<void> {
    for (let owner = 0; owner < this.options.group.worldSize; owner++) await fn(owner, this.segments.filter((s) => s.owner === owner));
  }
}

/** The flat vector of every parameter in order, cut into `ranks` equal ranges, as per-parameter segments. */
function partition(params: ZeroOptions['params'], ranks: number): Segment[] {
  const total = params.reduce((sum, p) => sum + count(p.dims), 0);
  const bounds = Array.from({ length: ranks + 1 }, (_, r) => Math.floor((r * total) / ranks));
  const segments: Segment[] = [];
  let offset = 0;
  for (const p of params) {
    const size = count(p.dims);
    for (let owner = 0; owner < ranks; owner++) {
      const start = Math.max(bounds[owner]!, offset);
      const end = Math.min(bounds[owner + 1]!, offset + size);
      if (start < end) segments.push({ name: p.name, start: start - offset, end: end - offset, owner });
    }
    offset += size;
  }
  return segments;
}

function count(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

function hostData(value: RunValue | undefined, name: string): Float32Array {
  if (!value || !(value as HostTensor).data || !((value as HostTensor).data instanceof Float32Array)) throw new Error(`ZeRO: ${name} is not a float32 host tensor`);
  return (value as HostTensor).data as Float32Array;
}
