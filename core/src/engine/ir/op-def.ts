import type { DType } from '../graph-executor.js';
import type { OnnxAttributeValue, OnnxTensor } from '../onnx/onnx-model.js';
import type { NdArray } from '../interpret/nd-array.js';
import type { Dim, Shape } from './dim.js';
import type { Attrs, Node, TensorType } from './tensor.js';

/** What shape inference may ask of the graph: fresh symbols for dims it cannot express. */
export interface InferEnv {
  freshDim(): string;
}

/** Binds symbolic dims to their runtime sizes while interpreting. */
export interface DimEnv {
  resolve(d: Dim): number;
}

/** What an op's emitter may ask of the ONNX emitter. */
export interface EmitContext {
  /** Adds an ONNX node; returns its output names (fresh names unless given). */
  add(
    opType: string,
    inputs: readonly string[],
    outputs: number | readonly string[],
    attrs?: Record<string, OnnxAttributeValue>,
    domain?: string,
  ): string[];
  /** An int64 1-D initializer. */
  ints(values: readonly number[]): string;
  /** A scalar initializer of the dtype. */
  scalar(value: number, dtype: DType): string;
  /** A 0-d OnnxTensor value (for attributes such as ConstantOfShape's). */
  scalarTensor(value: number, dtype: DType): OnnxTensor;
  onnxDtype(dtype: DType): number;
  /** A 1-D int64 tensor holding the runtime value of these dims. */
  shapeTensor(dims: Shape): string;
  /** Whether com.microsoft contrib ops may be used. */
  readonly contribOps: boolean;
}

export interface OpDef {
  readonly name: string;
  infer(ins: readonly TensorType[], attrs: Attrs, env: InferEnv): TensorType[];
  evaluate(ins: readonly NdArray[], attrs: Attrs, env: DimEnv): NdArray[];
  emit(ctx: EmitContext, node: Node, ins: readonly string[], outs: readonly string[]): void;
}

/** String-keyed registry; registering a name twice is a bug, so it throws. */
export class Registry<T> {
  private readonly entries = new Map<string, T>();
  constructor(private readonly what: string) {}

  register(name: string, entry: T): void {
    if (this.entries.has(name)) throw new Error(`${this.what} '${name}' is already registered`);
    this.entries.set(name, entry);
  }

  get(name: string): T | undefined {
    return this.entries.get(name);
  }

  require(name: string): T {
    const e = this.entries.get(name);
    if (!e) throw new Error(`no ${this.what} registered for '${name}'`);
    return e;
  }

  names(): string[] {
    return [...this.entries.keys()];
  }
}

export const opRegistry = new Registry<OpDef>('op');

export function defineOp(def: OpDef): OpDef {
  opRegistry.register(def.name, def);
  return def;
}
