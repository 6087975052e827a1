import type { HostTensor } from '../graph-executor.js';
import { hostTensor } from '../interpret/nd-array.js';
import { stepNames, type StepProgram } from './train-step.js';

/** Optimizer state as saved in checkpoints: tensors keyed `<param>::<slot>`, plus the step count. */
export interface OptimizerStateSnapshot {
  optimizer: string;
  step: number;
  tensors: Record<string, HostTensor>;
}

/**
 * Host-side parameters and optimizer state between runs (onnxruntime keeps nothing between runs,
 * so each step feeds them in and takes the updated copies back).
 */
export class ParamStore {
  readonly params = new Map<string, HostTensor>();
  readonly state = new Map<string, HostTensor>();
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

  paramFeeds(): Record<string, HostTensor> {
    return Object.fromEntries(this.params);
  }

  stateFeeds(): Record<string, HostTensor> {
    return Object.fromEntries(this.state);
  }

  /** Takes `<name>::next` outputs back for every param (or the given group's) and its state tensors. */
  absorb(out: Readonly<Record<string, HostTensor>>, params: readonly string[] = [...this.params.keys()]): void {
    for (const p of params) {
      for (const k of [p, ...this.program.slots.map((s) => stepNames.state(p, s))]) {
        const v = out[stepNames.next(k)];
        if (!v) throw new Error(`step output ${stepNames.next(k)} is missing`);
        (k === p ? this.params : this.state).set(k, v);
      }
    }
  }

  exportState(): OptimizerStateSnapshot {
    return { optimizer: this.program.optimizer, step: this.step, tensors: Object.fromEntries(this.state) };
  }

  importState(s: OptimizerStateSnapshot): void {
    if (s.optimizer !== this.program.optimizer) throw new Error(`optimizer state is for ${s.optimizer}, not ${this.program.optimizer}`);
    for (const k of this.state.keys()) {
      const v = s.tensors[k];
      const cur = this.state.get(k) as HostTensor;
      if (!v || v.dims.join() !== cur.dims.join() || v.dtype !== cur.dtype) throw new Error(`optimizer state ${k} is missing or mis-shaped`);
      this.state.set(k, v);
    }
    this.step = s.step;
  }
}

const ZERO_FILLED: Partial<Record<HostTensor['dtype'], new (size: number) => HostTensor['data']>> = {
  float32: Float32Array,
  float64: Float64Array,
  float16: Uint16Array,
};

/** A zero tensor allocated directly in its dtype (optimizer state and gradient buffers can be gigabytes). */
export function zeros(dtype: HostTensor['dtype'], dims: readonly number[]): HostTensor {
  const size = dims.reduce((a, b) => a * b, 1);
  const Typed = ZERO_FILLED[dtype];
  return Typed ? { dtype, dims: [...dims], data: new Typed(size) } : hostTensor(dtype, dims, new Float64Array(size));
}
