import { isResident, type HostTensor, type ResidentTensor, type ResidentValues, type RunValue } from '../graph-executor.js';
import { withDataOnRead } from '../data-on-read.js';
import { DTYPE_ARRAY, elementCount } from '../dtype-array.js';
import { stepNames, type StepProgram } from './train-step.js';

/** Optimizer state as saved in checkpoints: tensors keyed `<param>::<slot>`, plus the step count. */
export interface OptimizerStateSnapshot {
  optimizer: string;
  step: number;
  tensors: Record<string, HostTensor>;
}

/**
 * Parameters and optimizer state between runs. On a backend without resident values they are host tensors:
 * each step feeds them in and takes the updated copies back (`absorb`). After `makeResident` they live in the
 * backend: a step feeds the current set and writes its outputs into the spare one (`into`), then the sets swap, so no
 * output is bound to a buffer the same run still reads, except where the step graph proves every reader of that
 * buffer runs before its writer (`inPlaceOutputs`): those tensors are their own spare, updated in place.
 */
export class ParamStore {
  readonly params = new Map<string, RunValue>();
  readonly state = new Map<string, RunValue>();
  /** The set the next step writes into (resident mode only), keyed like params and state. */
  private spare?: Map<string, ResidentTensor>;
  /** Optimizer steps taken so far. */
  step = 0;

  constructor(
    readonly program: Pick<StepProgram, 'params' | 'slots' | 'optimizer'>,
    initial: Readonly<Record<string, HostTensor>>,
  ) {
    for (const p of program.params) {
      const v = initial[p.name];
      if (!v) throw new Error(`ParamStore: no initial value for param ${p.name}`);
      if (v.dims.join() !== p.dims.join() || v.dtype !== p.dtype) throw new Error(`ParamStore: ${p.name} must be ${p.dtype}[${p.dims}]`);
      this.params.set(p.name, v);
      for (const s of program.slots) this.state.set(stepNames.state(p.name, s), zeros(p.dtype, p.dims));
    }
  }

  get resident(): boolean {
    return this.spare !== undefined;
  }

  /**
   * Moves params and state into the backend; the host copies are dropped. Names in `inPlace` (the step graph
   * proves every reader of the old value runs before the new one is written) are one tensor updated in place;
   * every other name gets a second, spare tensor to alternate with.
   */
  makeResident(values: ResidentValues, inPlace: ReadonlySet<string> = new Set()): void {
    const spare = new Map<string, ResidentTensor>();
    for (const map of [this.params, this.state]) {
      for (const [name, value] of map) {
        const host = value as HostTensor;
        const current = values.create(host);
        map.set(name, current);
        spare.set(name, inPlace.has(name) ? current : values.create({ dtype: host.dtype, dims: host.dims }));
      }
    }
    this.spare = spare;
  }

  /** Resident mode: the `<name>::next` outputs written into the tensor they replace. */
  inPlaceOutputs(): string[] {
    return [...this.spare!].filter(([name, t]) => this.current(name) === t).map(([name]) => stepNames.next(name));
  }

  private current(name: string): RunValue | undefined {
    return this.params.get(name) ?? this.state.get(name);
  }

  /**
   * The parameters as host tensors. Resident ones are read out of the backend when a key is first accessed, so
   * a caller that touches none (an offline trainer's per-step hook) copies nothing.
   */
  paramFeeds(): Record<string, HostTensor> {
    const view: Record<string, HostTensor> = {};
    for (const [name, value] of this.params) {
      if (!isResident(value)) view[name] = value;
      else {
        let copy: HostTensor | undefined;
        Object.defineProperty(view, name, { enumerable: true, get: () => (copy ??= value.read()) });
      }
    }
    return view;
  }

  /**
   * Host views of the current parameters whose `data` is read out of the backend at each access (resident
   * mode) and never kept: what a model that must follow the trained weights holds instead of a copy, and what a
   * save writes (one tensor's copy at a time).
   */
  liveParams(): Record<string, HostTensor> {
    const view = (name: string, { dtype, dims }: RunValue): [string, HostTensor] => [name, withDataOnRead({ dtype, dims }, () => host(current(name)).data)];
    const current = (name: string): RunValue => this.params.get(name)!;
    return Object.fromEntries([...this.params].map(([name, value]) => view(name, value)));
  }

  /** Params and state as a run's feeds: resident tensors when resident, else host tensors. */
  runFeeds(): Record<string, RunValue> {
    return { ...Object.fromEntries(this.params), ...Object.fromEntries(this.state) };
  }

  /** Resident mode: the spare set as the `into` of a step whose outputs are `<name>::next`. */
  into(params: readonly string[] = [...this.params.keys()]): Record<string, ResidentTensor> {
    const spare = this.spare!;
    return Object.fromEntries(this.names(params).map((k) => [stepNames.next(k), spare.get(k)!]));
  }

  /** Resident mode: the set just written becomes current (an in-place tensor is both). */
  swap(): void {
    const spare = this.spare!;
    for (const [name, written] of spare) {
      const map = this.params.has(name) ? this.params : this.state;
      spare.set(name, map.get(name) as ResidentTensor);
      map.set(name, written);
    }
  }

  /** Frees resident tensors (a no-op for host ones). */
  dispose(): void {
    const all = new Set([...this.params.values(), ...this.state.values(), ...(this.spare?.values() ?? [])]);
    for (const value of all) if (isResident(value)) value.dispose();
  }

  private names(params: readonly string[]): string[] {
    return params.flatMap((p) => [p, ...this.program.slots.map((s) => stepNames.state(p, s))]);
  }

  /** Takes `<name>::next` outputs back for every param (or the given group's) and its state tensors. */
  absorb(out: Readonly<Record<string, HostTensor>>, params: readonly string[] = [...this.params.keys()]): void {
    for (const k of this.names(params)) {
      const v = out[stepNames.next(k)];
      if (!v) throw new Error(`step output ${stepNames.next(k)} is missing`);
      (this.params.has(k) ? this.params : this.state).set(k, v);
    }
  }

  /** The optimizer state as host tensors (read out of the backend when resident): a snapshot. */
  exportState(): OptimizerStateSnapshot {
    return { optimizer: this.program.optimizer, step: this.step, tensors: Object.fromEntries([...this.state].map(([name, value]) => [name, host(value)])) };
  }

  /**
   * The optimizer state for writing it now: a resident tensor's `data` is read out of the backend when accessed and
   * not kept, so a checkpoint holds one moment's copy at a time. Not a snapshot: read it before the next step.
   */
  stateViews(): OptimizerStateSnapshot {
    return { optimizer: this.program.optimizer, step: this.step, tensors: Object.fromEntries([...this.state].map(([name, value]) => [name, readOnAccess(value)])) };
  }

  importState(s: OptimizerStateSnapshot): void {
    if (s.optimizer !== this.program.optimizer) throw new Error(`optimizer state is for ${s.optimizer}, not ${this.program.optimizer}`);
    for (const k of this.state.keys()) {
      const v = s.tensors[k];
      const cur = this.state.get(k)!;
      if (!v || v.dims.join() !== cur.dims.join() || v.dtype !== cur.dtype) throw new Error(`optimizer state ${k} is missing or mis-shaped`);
      if (isResident(cur)) cur.write(v);
      else this.state.set(k, v);
    }
    this.step = s.step;
  }
}

function host(value: RunValue): HostTensor {
  return isResident(value) ? value.read() : value;
}

/** A host tensor as it is, or a resident one as a host tensor whose `data` is read out of the backend at each access. */
function readOnAccess(value: RunValue): HostTensor {
  return isResident(value) ? withDataOnRead({ dtype: value.dtype, dims: value.dims }, () => value.read().data) : value;
}

/** A zero tensor allocated directly in its dtype (optimizer state and gradient buffers can be gigabytes). */
export function zeros(dtype: HostTensor['dtype'], dims: readonly number[]): HostTensor {
  return { dtype, dims: [...dims], data: new DTYPE_ARRAY[dtype](elementCount(dims)) };
}
