import type { DType, HostTensor } from '../graph-executor.js';
import { canonDim, dimFactors, dimTerms, isStaticDim, type Dim, type Shape } from '../ir/dim.js';
import { opRegistry, type EmitContext } from '../ir/op-def.js';
import type { Node, Tensor } from '../ir/tensor.js';
import { hostTensor } from '../interpret/nd-array.js';
import { attr } from './attr.js';
import { planFusions } from './fusion.js';
import { onnxDataType, tensorFromArray } from './onnx-encoder.js';
import type { OnnxAttributeValue, OnnxNode, OnnxTensor, OnnxValueInfo } from './onnx-model.js';

/** Initializers shared by a model's graph and its subgraphs (subgraphs read outer-scope names). */
export class InitializerPool {
  readonly tensors: OnnxTensor[] = [];
  private readonly byKey = new Map<string, string>();
  private counter = 0;

  fresh(prefix: string): string {
    return `_${prefix}${this.counter++}`;
  }

  /** Adds `value` once per content key (small constants) or once per call (large ones). */
  add(value: HostTensor, key?: string, name?: string): string {
    const hit = key === undefined ? undefined : this.byKey.get(key);
    if (hit) return hit;
    const n = name ?? this.fresh('c');
    this.tensors.push(tensorFromArray(n, value.dtype, value.dims, value.data));
    if (key !== undefined) this.byKey.set(key, n);
    return n;
  }

  ints(values: readonly number[]): string {
    return this.add(hostTensor('int64', [values.length], values), `i64|${values.join(',')}`);
  }

  scalar(value: number, dtype: DType): string {
    return this.add(hostTensor(dtype, [], [value]), `s|${dtype}|${value}`);
  }
}

export function valueInfo(name: string, t: { dtype: DType; shape: Shape }): OnnxValueInfo {
  return { name, elemType: onnxDataType(t.dtype), shape: t.shape.map((d) => (isStaticDim(d) ? d : String(d))) };
}

/**
 * Lowers IR nodes into the ONNX nodes of one graph scope. Symbolic dims are resolved at runtime from
 * the first tensor of the scope that carries them (Shape with start/end), cached per dim.
 */
export class Lowering implements EmitContext {
  readonly nodes: OnnxNode[] = [];
  private readonly names = new Map<number, string>();
  private readonly dimSources = new Map<string, { name: string; axis: number }>();
  private readonly dimCache = new Map<string, string>();

  constructor(
    readonly pool: InitializerPool,
    readonly contribOps: boolean,
  ) {}

  /** Makes IR tensor `t` available under ONNX name `name` in this scope. */
  bind(t: Tensor, name: string): void {
    this.names.set(t.id, name);
    t.shape.forEach((d, axis) => {
      const key = String(canonDim(d));
      if (!isStaticDim(d) && !this.dimSources.has(key)) this.dimSources.set(key, { name, axis });
    });
  }

  nameOf(t: Tensor): string {
    const n = this.names.get(t.id);
    if (n !== undefined) return n;
    const c = t.producer;
    if (c?.op === 'Constant') return this.constant(t, c.attrs.value as HostTensor);
    if (c?.op === 'Initializer') return this.initializer(t, c.attrs);
    throw new Error(`lowering: ${t} is used before it is computed (or is an unbound input)`);
  }

  private constant(t: Tensor, v: HostTensor): string {
    const key = v.data.length <= 256 ? `C|${v.dtype}|${v.dims}|${Array.from(v.data as ArrayLike<number | bigint>, String)}` : undefined;
    const name = this.pool.add(v, key);
    this.names.set(t.id, name);
    return name;
  }

  private initializer(t: Tensor, attrs: Node['attrs']): string {
    const name = this.pool.add(attrs.value as HostTensor, `I|${String(attrs.name)}`, String(attrs.name));
    this.names.set(t.id, name);
    return name;
  }

  /** Lowers `nodes` (in topological order); `preferred` names some outputs (graph outputs). */
  lower(nodes: readonly Node[], preferred: ReadonlyMap<number, string> = new Map()): void {
    const fusions = planFusions(nodes, new Set(preferred.keys()));
    const absorbed = new Set([...fusions.values()].flatMap((f) => f.absorbed));
    for (const node of nodes) {
      if (node.op === 'Constant' || node.op === 'Initializer' || absorbed.has(node)) continue;
      const outs = node.outputs.map((o) => preferred.get(o.id) ?? `_t${o.id}`);
      const fused = fusions.get(node);
      if (fused) fused.emit(this, (t) => this.nameOf(t), outs);
      else opRegistry.require(node.op).emit(this, node, node.inputs.map((t) => this.nameOf(t)), outs);
      node.outputs.forEach((o, i) => this.bind(o, outs[i]));
    }
  }

  // ---------- EmitContext ----------

  add(opType: string, inputs: readonly string[], outputs: number | readonly string[], attrs: Record<string, OnnxAttributeValue> = {}, domain = ''): string[] {
    const outs = typeof outputs === 'number' ? Array.from({ length: outputs }, () => this.pool.fresh('v')) : [...outputs];
    const attribute = Object.entries(attrs).map(([name, value]) => ({ name, value }));
    this.nodes.push({ opType, domain, input: [...inputs], output: outs, ...(attribute.length ? { attribute } : {}) });
    return outs;
  }

  ints(values: readonly number[]): string {
    return this.pool.ints(values);
  }

  scalar(value: number, dtype: DType): string {
    return this.pool.scalar(value, dtype);
  }

  scalarTensor(value: number, dtype: DType): OnnxTensor {
    const t = hostTensor(dtype, [1], [value]);
    return tensorFromArray('value', dtype, [1], t.data);
  }

  onnxDtype(dtype: DType): number {
    return onnxDataType(dtype);
  }

  shapeTensor(dims: Shape): string {
    if (dims.every(isStaticDim)) return this.ints(dims as number[]);
    const key = `shape|${dims.join(',')}`;
    const hit = this.dimCache.get(key);
    if (hit) return hit;
    const pieces: string[] = [];
    let run: number[] = [];
    for (const d of dims) {
      if (isStaticDim(d)) run.push(d);
      else {
        if (run.length) pieces.push(this.ints(run));
        run = [];
        pieces.push(this.dimTensor(d));
      }
    }
    if (run.length) pieces.push(this.ints(run));
    const [out] = pieces.length === 1 ? pieces : this.add('Concat', pieces, 1, { axis: attr.int(0) });
    this.dimCache.set(key, out);
    return out;
  }

  /** A 1-element int64 tensor holding the runtime value of `d`. */
  private dimTensor(d: Dim): string {
    const key = String(canonDim(d));
    const hit = this.dimCache.get(key);
    if (hit) return hit;
    const out = this.computeDim(key);
    this.dimCache.set(key, out);
    return out;
  }

  private computeDim(key: string): string {
    const src = this.dimSources.get(key);
    if (src) return this.add('Shape', [src.name], 1, { start: attr.int(src.axis), end: attr.int(src.axis + 1) })[0];
    const terms = dimTerms(key);
    if (terms.length > 1) return terms.map((t) => (isStaticDim(t) ? this.ints([t]) : this.dimTensor(t))).reduce((a, b) => this.add('Add', [a, b], 1)[0]);
    const { coef, syms } = dimFactors(key);
    if (syms.length === 1 && coef === 1) throw new Error(`lowering: no tensor in scope carries dim '${key}'`);
    let acc = this.dimTensor(syms[0]);
    for (const s of syms.slice(1)) acc = this.add('Mul', [acc, this.dimTensor(s)], 1)[0];
    return coef === 1 ? acc : this.add('Mul', [acc, this.ints([coef])], 1)[0];
  }
}

/** The nodes needed for `outputs`, in graph (topological) order. */
export function neededNodes(all: readonly Node[], outputs: readonly Tensor[], stopAt: ReadonlySet<number> = new Set()): Node[] {
  const need = new Set<Node>();
  const stack = [...outputs];
  while (stack.length) {
    const t = stack.pop() as Tensor;
    if (stopAt.has(t.id) || !t.producer || need.has(t.producer)) continue;
    need.add(t.producer);
    stack.push(...t.producer.inputs);
  }
  return all.filter((n) => need.has(n));
}
