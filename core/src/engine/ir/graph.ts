import { autocastMatmul } from '../autocast.js';
import type { ComputeDtype, DType, HostTensor } from '../graph-executor.js';
import { canonDim, dimDiv, normAxis, shapeSize, shapeToString, type Dim, type Shape } from './dim.js';
import { opRegistry, type OpDef } from './op-def.js';
import { Node, Tensor, type AttrValue, type Attrs, type Segment } from './tensor.js';
import { fromHost, hostTensor, size, toHost } from '../interpret/nd-array.js';
import '../ops/all.js';

/** Constant folding only for small results: folding is for shapes and scalars, not for weights. */
const FOLD_LIMIT = 4096;
/** Small constants are deduplicated by content. */
const DEDUP_LIMIT = 256;

const NO_FOLD = new Set(['Constant', 'Initializer', 'StopGradient']);

export type Operand = Tensor | number;

export interface MatMulOptions {
  transA?: boolean;
  transB?: boolean;
  alpha?: number;
}

/**
 * A dataflow graph with a fluent builder. Every op is hash-consed (common subexpressions come out as
 * the same Tensor) and ops whose inputs are all small constants are folded on the spot.
 */
export class Graph {
  readonly nodes: Node[] = [];
  readonly inputs: Tensor[] = [];
  readonly outputs = new Map<string, Tensor>();
  private nextId = 0;
  private readonly memo = new Map<string, Node>();
  private readonly names = new Set<string>();
  /** The recompute segment new nodes join, if one is open. */
  private openSegment?: Segment;

  /**
   * The graph is an optimizer step's forward and backward (torch's `module.train()`): training-only behaviour such as
   * LoRA dropout is built into it; every other graph (evaluation, log-probs, generation) runs the model as in eval mode.
   */
  training = false;
  /**
   * The step's backward replays the `checkpointing` segments (gradient checkpointing): builders that can split their
   * work into such segments do (the LM head and its log-softmax, in vocabulary chunks).
   */
  checkpointing = false;

  /** Mixed precision: float32 MatMuls compute in this dtype while it is set (`withAutocast`, engine/autocast.ts). */
  autocast?: ComputeDtype;

  constructor(readonly label = 'graph') {}

  // ---------- sources ----------

  input(name: string, dtype: DType, shape: Shape): Tensor {
    this.claim(name);
    const t = new Tensor(this.nextId++, dtype, shape.map(canonDim), undefined, 0, name);
    this.inputs.push(t);
    return t;
  }

  /** A frozen named weight (e.g. a reference model's): emitted as an initializer, never folded. */
  initializer(name: string, value: HostTensor): Tensor {
    this.claim(name);
    return this.apply('Initializer', [], { value, name })[0];
  }

  constant(value: HostTensor): Tensor {
    return this.apply('Constant', [], { value })[0];
  }

  /** A constant from numbers. */
  const(values: number | readonly number[], dtype: DType = 'float32', dims?: readonly number[]): Tensor {
    const arr = typeof values === 'number' ? [values] : values;
    return this.constant(hostTensor(dtype, dims ?? (typeof values === 'number' ? [] : [arr.length]), arr));
  }

  scalar(value: number, dtype: DType = 'float32'): Tensor {
    return this.const(value, dtype);
  }

  output(name: string, t: Tensor): Tensor {
    if (this.outputs.has(name)) throw new Error(`output '${name}' is already defined`);
    this.outputs.set(name, t);
    return t;
  }

  // ---------- core ----------

  apply(op: string, inputs: readonly Tensor[], attrs: Attrs = {}): Tensor[] {
    const def = opRegistry.require(op);
    for (const t of inputs) if (!(t instanceof Tensor)) throw new Error(`${op}: input is not a Tensor`);
    const key = this.key(op, inputs, attrs);
    const hit = key === undefined ? undefined : this.memo.get(key);
    if (hit) return hit.outputs;
    const folded = this.tryFold(def, inputs, attrs);
    if (folded) return folded;
    let types;
    try {
      types = def.infer(inputs, attrs, { freshDim: () => `_d${this.nextId++}` });
    } catch (e) {
      throw new Error(`${op}(${inputs.map(String).join(', ')}): ${(e as Error).message}`);
    }
    const node = new Node(this.nextId++, op, inputs, attrs);
    node.outputs = types.map((t, i) => new Tensor(this.nextId++, t.dtype, t.shape.map(canonDim), node, i));
    node.segment = this.openSegment;
    this.nodes.push(node);
    if (key !== undefined) this.memo.set(key, node);
    return node.outputs;
  }

  /**
   * Starts a recompute segment: nodes built from now on belong to it until the next `beginSegment` or
   * `endSegment`, and `grad` replays them from their inputs in the backward pass instead of keeping their outputs
   * (autodiff/recompute.ts): a decoder layer under gradient checkpointing by default. A node reused by hash-consing
   * keeps its own segment.
   */
  beginSegment(recompute: Segment['recompute'] = 'checkpointing'): void {
    this.openSegment = { recompute };
  }

  endSegment(): void {
    this.openSegment = undefined;
  }

  /** `build`'s nodes as a segment of their own, then the open segment again (a weight's decode inside a layer). */
  inSegment<T>(recompute: Segment['recompute'], build: () => T): T {
    const outer = this.openSegment;
    this.beginSegment(recompute);
    try {
      return build();
    } finally {
      this.openSegment = outer;
    }
  }

  /** A fresh copy of `node` on `inputs`, never merged with an existing node (a recomputation); found by `find` when first. */
  recompute(node: Node, inputs: readonly Tensor[]): Tensor[] {
    const copy = new Node(this.nextId++, node.op, inputs, node.attrs);
    copy.outputs = node.outputs.map((t, i) => new Tensor(this.nextId++, t.dtype, t.shape, copy, i));
    this.nodes.push(copy);
    const key = this.key(node.op, inputs, node.attrs);
    if (key !== undefined && !this.memo.has(key)) this.memo.set(key, copy);
    return copy.outputs;
  }

  /** The outputs of an existing node `op(inputs, attrs)`, without creating it (hash-cons lookup). */
  find(op: string, inputs: readonly Tensor[], attrs: Attrs = {}): Tensor[] | undefined {
    const key = this.key(op, inputs, attrs);
    return key === undefined ? undefined : this.memo.get(key)?.outputs;
  }

  private one(op: string, inputs: readonly Tensor[], attrs: Attrs = {}): Tensor {
    return this.apply(op, inputs, attrs)[0];
  }

  private claim(name: string): void {
    if (this.names.has(name)) throw new Error(`name '${name}' is already used in ${this.label}`);
    this.names.add(name);
  }

  private key(op: string, inputs: readonly Tensor[], attrs: Attrs): string | undefined {
    if (op === 'Initializer') return undefined;
    if (op === 'Constant') {
      const v = attrs.value as HostTensor;
      if (v.data.length > DEDUP_LIMIT) return undefined;
      return `C|${v.dtype}|${v.dims.join(',')}|${Array.from(v.data as ArrayLike<number | bigint>, String).join(',')}`;
    }
    return `${op}|${inputs.map((t) => t.id).join(',')}|${JSON.stringify(attrs)}`;
  }

  private tryFold(def: OpDef, inputs: readonly Tensor[], attrs: Attrs): Tensor[] | undefined {
    if (NO_FOLD.has(def.name) || inputs.length === 0 || !inputs.every((t) => t.constValue)) return undefined;
    const vals = inputs.map((t) => fromHost(t.constValue as HostTensor));
    const outs = def.evaluate(vals, attrs, { resolve: (d) => (typeof d === 'number' ? d : NaN) });
    if (outs.some((o) => o.dims.some(Number.isNaN) || size(o.dims) > FOLD_LIMIT)) return undefined;
    return outs.map((o) => this.constant(toHost(o)));
  }

  private lift(x: Operand, like: Tensor): Tensor {
    return typeof x === 'number' ? this.scalar(x, like.dtype) : x;
  }

  private binary(op: string, a: Operand, b: Operand): Tensor {
    const like = typeof a === 'number' ? (b as Tensor) : a;
    return this.one(op, [this.lift(a, like), this.lift(b, like)]);
  }

  // ---------- elementwise ----------

  add(a: Operand, b: Operand): Tensor {
    if (isScalarConst(b, 0) && typeof a !== 'number') return a;
    if (isScalarConst(a, 0) && typeof b !== 'number') return b;
    return this.binary('Add', a, b);
  }
  sub(a: Operand, b: Operand): Tensor {
    if (isScalarConst(b, 0) && typeof a !== 'number') return a;
    return this.binary('Sub', a, b);
  }
  mul(a: Operand, b: Operand): Tensor {
    if (isScalarConst(b, 1) && typeof a !== 'number') return a;
    if (isScalarConst(a, 1) && typeof b !== 'number') return b;
    return this.binary('Mul', a, b);
  }
  div(a: Operand, b: Operand): Tensor {
    if (isScalarConst(b, 1) && typeof a !== 'number') return a;
    return this.binary('Div', a, b);
  }
  pow(a: Operand, b: Operand): Tensor {
    return this.binary('Pow', a, b);
  }
  max(a: Operand, b: Operand): Tensor {
    return this.binary('Max', a, b);
  }
  min(a: Operand, b: Operand): Tensor {
    return this.binary('Min', a, b);
  }
  equal(a: Operand, b: Operand): Tensor {
    return this.binary('Equal', a, b);
  }
  less(a: Operand, b: Operand): Tensor {
    return this.binary('Less', a, b);
  }
  greater(a: Operand, b: Operand): Tensor {
    return this.binary('Greater', a, b);
  }
  lessOrEqual(a: Operand, b: Operand): Tensor {
    return this.binary('LessOrEqual', a, b);
  }
  greaterOrEqual(a: Operand, b: Operand): Tensor {
    return this.binary('GreaterOrEqual', a, b);
  }
  and(a: Tensor, b: Tensor): Tensor {
    return this.one('And', [a, b]);
  }
  or(a: Tensor, b: Tensor): Tensor {
    return this.one('Or', [a, b]);
  }
  not(x: Tensor): Tensor {
    return this.one('Not', [x]);
  }
  neg(x: Tensor): Tensor {
    return this.one('Neg', [x]);
  }
  abs(x: Tensor): Tensor {
    return this.one('Abs', [x]);
  }
  sqrt(x: Tensor): Tensor {
    return this.one('Sqrt', [x]);
  }
  reciprocal(x: Tensor): Tensor {
    return this.one('Reciprocal', [x]);
  }
  rsqrt(x: Tensor): Tensor {
    return this.reciprocal(this.sqrt(x));
  }
  exp(x: Tensor): Tensor {
    return this.one('Exp', [x]);
  }
  log(x: Tensor): Tensor {
    return this.one('Log', [x]);
  }
  tanh(x: Tensor): Tensor {
    return this.one('Tanh', [x]);
  }
  sin(x: Tensor): Tensor {
    return this.one('Sin', [x]);
  }
  cos(x: Tensor): Tensor {
    return this.one('Cos', [x]);
  }
  sigmoid(x: Tensor): Tensor {
    return this.one('Sigmoid', [x]);
  }
  relu(x: Tensor): Tensor {
    return this.one('Relu', [x]);
  }
  softplus(x: Tensor): Tensor {
    return this.one('Softplus', [x]);
  }
  /** log σ(x) = −softplus(−x), stable for large |x|. */
  logSigmoid(x: Tensor): Tensor {
    return this.neg(this.softplus(this.neg(x)));
  }
  /** GELU with the tanh approximation (HF "gelu_new"). */
  gelu(x: Tensor): Tensor {
    return this.one('Gelu', [x]);
  }
  /** SiLU / swish: x·σ(x). */
  silu(x: Tensor): Tensor {
    return this.mul(x, this.sigmoid(x));
  }
  identity(x: Tensor): Tensor {
    return this.one('Identity', [x]);
  }
  /** The value of x, with no gradient flowing through. */
  stopGradient(x: Tensor): Tensor {
    return this.one('StopGradient', [x]);
  }
  where(cond: Tensor, a: Operand, b: Operand): Tensor {
    const like = typeof a === 'number' ? (b as Tensor) : a;
    return this.one('Where', [cond, this.lift(a, like), this.lift(b, like)]);
  }
  cast(x: Tensor, to: DType): Tensor {
    return x.dtype === to ? x : this.one('Cast', [x], { to });
  }
  clip(x: Tensor, min?: number, max?: number): Tensor {
    const attrs: Record<string, AttrValue> = {};
    if (min !== undefined) attrs.min = min;
    if (max !== undefined) attrs.max = max;
    return this.one('Clip', [x], attrs);
  }

  // ---------- linear algebra and nn ----------

  /** Batched matmul with numpy broadcasting over leading dims; op(A)·op(B)·alpha. */
  matmul(a: Tensor, b: Tensor, opts: MatMulOptions = {}): Tensor {
    const attrs: Record<string, AttrValue> = {};
    if (opts.transA) attrs.transA = true;
    if (opts.transB) attrs.transB = true;
    if (opts.alpha !== undefined && opts.alpha !== 1) attrs.alpha = opts.alpha;
    const matmul = (x: Tensor, y: Tensor) => this.one('MatMul', [x, y], attrs);
    return this.autocast ? autocastMatmul(this, this.autocast, a, b, matmul) : matmul(a, b);
  }
  softmax(x: Tensor, axis = -1): Tensor {
    return this.one('Softmax', [x], { axis: normAxis(axis, x.rank) });
  }
  logSoftmax(x: Tensor, axis = -1): Tensor {
    return this.one('LogSoftmax', [x], { axis: normAxis(axis, x.rank) });
  }
  /** LayerNorm over the last axis (torch.nn.LayerNorm). */
  layerNorm(x: Tensor, scale: Tensor, bias: Tensor, epsilon = 1e-5): Tensor {
    return this.one('LayerNorm', [x, scale, bias], { epsilon });
  }
  /** RMSNorm over the last axis (HF LlamaRMSNorm). */
  rmsNorm(x: Tensor, scale: Tensor, epsilon = 1e-6): Tensor {
    return this.one('RMSNorm', [x, scale], { epsilon });
  }

  // ---------- reductions ----------

  reduceSum(x: Tensor, axes: readonly number[] = allAxes(x), keepdims = false): Tensor {
    return this.reduce('ReduceSum', x, axes, keepdims);
  }
  reduceMean(x: Tensor, axes: readonly number[] = allAxes(x), keepdims = false): Tensor {
    return this.reduce('ReduceMean', x, axes, keepdims);
  }
  reduceMax(x: Tensor, axes: readonly number[] = allAxes(x), keepdims = false): Tensor {
    return this.reduce('ReduceMax', x, axes, keepdims);
  }
  reduceMin(x: Tensor, axes: readonly number[] = allAxes(x), keepdims = false): Tensor {
    return this.reduce('ReduceMin', x, axes, keepdims);
  }
  private reduce(op: string, x: Tensor, axes: readonly number[], keepdims: boolean): Tensor {
    if (axes.length === 0) return x;
    const norm = [...new Set(axes.map((a) => normAxis(a, x.rank)))].sort((a, b) => a - b);
    return this.one(op, [x], { axes: norm, keepdims });
  }

  // ---------- shapes ----------

  /** Reshape; one entry may be -1 (inferred, also for symbolic dims). */
  reshape(x: Tensor, shape: readonly Dim[]): Tensor {
    const target = this.inferReshape(x, shape);
    if (target.length === x.rank && target.every((d, i) => d === x.shape[i])) return x;
    // Reshape of a reshape only needs the original.
    const src = x.producer?.op === 'Reshape' ? x.producer.inputs[0] : x;
    if (target.length === src.rank && target.every((d, i) => d === src.shape[i])) return src;
    return this.one('Reshape', [src], { shape: target });
  }
  private inferReshape(x: Tensor, shape: readonly Dim[]): Dim[] {
    const holes = shape.filter((d) => d === -1).length;
    if (holes > 1) throw new Error('reshape: at most one -1');
    if (holes === 0) return shape.map(canonDim);
    const known = shapeSize(shape.filter((d) => d !== -1));
    const rest = dimDiv(shapeSize(x.shape), known);
    if (rest === undefined) throw new Error(`reshape: cannot infer -1 for ${shapeToString(x.shape)} -> ${shapeToString(shape)}`);
    return shape.map((d) => canonDim(d === -1 ? rest : d));
  }
  transpose(x: Tensor, perm: readonly number[]): Tensor {
    if (perm.every((p, i) => p === i)) return x;
    return this.one('Transpose', [x], { perm: [...perm] });
  }
  /** Slices one axis [start, end) with step; ends past the dim clamp (use Infinity for "to the end"). */
  slice(x: Tensor, axis: number, start: number, end = Infinity, step = 1): Tensor {
    const e = end === Infinity ? 2 ** 62 : end;
    return this.one('Slice', [x], { starts: [start], ends: [e], axes: [normAxis(axis, x.rank)], steps: [step] });
  }
  concat(xs: readonly Tensor[], axis: number): Tensor {
    if (xs.length === 1) return xs[0];
    return this.one('Concat', xs, { axis: normAxis(axis, xs[0].rank) });
  }
  split(x: Tensor, axis: number, sizes: readonly Dim[]): Tensor[] {
    return this.apply('Split', [x], { axis: normAxis(axis, x.rank), sizes: [...sizes] });
  }
  unsqueeze(x: Tensor, axes: readonly number[]): Tensor {
    return this.one('Unsqueeze', [x], { axes: [...axes] });
  }
  squeeze(x: Tensor, axes: readonly number[]): Tensor {
    return this.one('Squeeze', [x], { axes: [...axes] });
  }
  expand(x: Tensor, shape: readonly Dim[]): Tensor {
    if (shape.length === x.rank && shape.every((d, i) => canonDim(d) === x.shape[i])) return x;
    return this.one('Expand', [x], { shape: [...shape] });
  }
  /** pads = [before_0..before_{r-1}, after_0..after_{r-1}], zero fill. */
  pad(x: Tensor, pads: readonly Dim[]): Tensor {
    if (pads.every((p) => p === 0)) return x;
    return this.one('Pad', [x], { pads: [...pads] });
  }
  fill(shape: readonly Dim[], value: number, dtype: DType = 'float32'): Tensor {
    return this.one('Fill', [], { shape: [...shape], value, dtype });
  }
  zerosLike(x: Tensor): Tensor {
    return this.fill(x.shape, 0, x.dtype);
  }
  arange(n: Dim, dtype: DType = 'int64'): Tensor {
    return this.one('Arange', [], { n, dtype });
  }
  /** The runtime size of a (symbolic) dim, as a scalar. */
  dimValue(dim: Dim, dtype: DType = 'int64'): Tensor {
    if (typeof dim === 'number') return this.scalar(dim, dtype);
    return this.one('DimValue', [], { dim, dtype });
  }
  trilu(x: Tensor, upper: boolean, k = 0): Tensor {
    return this.one('Trilu', [x], { upper, k });
  }

  // ---------- indexing ----------

  gather(data: Tensor, indices: Tensor, axis = 0): Tensor {
    return this.one('Gather', [data, indices], { axis: normAxis(axis, data.rank) });
  }
  gatherElements(data: Tensor, indices: Tensor, axis: number): Tensor {
    return this.one('GatherElements', [data, indices], { axis: normAxis(axis, data.rank) });
  }
  scatterND(data: Tensor, indices: Tensor, updates: Tensor, reduction: 'none' | 'add' = 'none'): Tensor {
    return this.one('ScatterND', [data, indices, updates], { reduction });
  }
  scatterElements(data: Tensor, indices: Tensor, updates: Tensor, axis: number, reduction: 'none' | 'add' = 'none'): Tensor {
    return this.one('ScatterElements', [data, indices, updates], { axis: normAxis(axis, data.rank), reduction });
  }
}

function allAxes(x: Tensor): number[] {
  return [...Array(x.rank).keys()];
}

function isScalarConst(x: Operand, v: number): boolean {
  if (typeof x === 'number') return x === v;
  const c = x.constValue;
  return !!c && c.data.length === 1 && c.dims.length === 0 && Number(c.data[0]) === v;
}
