import type { DType } from '../graph-executor.js';
import { broadcastShapes } from '../ir/dim.js';
import { defineOp, type EmitContext } from '../ir/op-def.js';
import type { TensorType } from '../ir/tensor.js';
import { broadcastDims, broadcastIndexer, nd, size, type NdArray } from '../interpret/nd-array.js';
import { attr } from '../onnx/attr.js';

export const FLOAT_DTYPES: readonly DType[] = ['float32', 'float64', 'float16', 'bfloat16'];

export function isFloat(dtype: DType): boolean {
  return FLOAT_DTYPES.includes(dtype);
}

function intLike(dtype: DType): boolean {
  return dtype === 'int32' || dtype === 'int64' || dtype === 'uint8' || dtype === 'uint16';
}

/** Integer dtypes truncate like the runtime; bools are 0/1; floats stay float64 in the reference. */
export function castValue(dtype: DType, v: number): number {
  if (dtype === 'bool') return v ? 1 : 0;
  if (intLike(dtype)) return Math.trunc(v);
  return v;
}

export function requireSameDtype(op: string, ins: readonly TensorType[]): DType {
  const d = ins[0].dtype;
  for (const t of ins) if (t.dtype !== d) throw new Error(`${op}: dtype mismatch ${ins.map((x) => x.dtype).join(' vs ')}`);
  return d;
}

function mapUnary(x: NdArray, dtype: DType, fn: (v: number) => number): NdArray {
  const out = nd(dtype, x.dims);
  for (let i = 0; i < out.data.length; i++) out.data[i] = castValue(dtype, fn(x.data[i]));
  return out;
}

export function mapBroadcast(ins: readonly NdArray[], dtype: DType, fn: (...v: number[]) => number): NdArray {
  const dims = ins.map((x) => x.dims).reduce((a, b) => broadcastDims(a, b));
  const idx = ins.map((x) => broadcastIndexer(dims, x.dims));
  const out = nd(dtype, dims);
  const vals = new Array<number>(ins.length);
  for (let i = 0; i < size(dims); i++) {
    for (let k = 0; k < ins.length; k++) vals[k] = ins[k].data[idx[k](i)];
    out.data[i] = castValue(dtype, fn(...vals));
  }
  return out;
}

const GELU_C = Math.sqrt(2 / Math.PI);

export function geluTanh(x: number): number {
  return 0.5 * x * (1 + Math.tanh(GELU_C * (x + 0.044715 * x * x * x)));
}

function emitGeluDecomposed(ctx: EmitContext, x: string, out: string, dtype: DType): void {
  const c = (v: number) => ctx.scalar(v, dtype);
  const [x3] = ctx.add('Mul', [x, x], 1);
  const [x3b] = ctx.add('Mul', [x3, x], 1);
  const [a] = ctx.add('Mul', [x3b, c(0.044715)], 1);
  const [b] = ctx.add('Add', [x, a], 1);
  const [u] = ctx.add('Mul', [b, c(GELU_C)], 1);
  const [t] = ctx.add('Tanh', [u], 1);
  const [t1] = ctx.add('Add', [t, c(1)], 1);
  const [hx] = ctx.add('Mul', [x, c(0.5)], 1);
  ctx.add('Mul', [hx, t1], [out]);
}

/** softplus(x) = relu(x) + log(1 + exp(−|x|)): stable, and ORT has Softplus for float32 only. */
function emitSoftplusDecomposed(ctx: EmitContext, x: string, out: string): void {
  const [r] = ctx.add('Relu', [x], 1);
  const [a] = ctx.add('Abs', [x], 1);
  const [n] = ctx.add('Neg', [a], 1);
  const [e] = ctx.add('Exp', [n], 1);
  const [one] = [ctx.scalar(1, 'float64')];
  const [p] = ctx.add('Add', [e, one], 1);
  const [l] = ctx.add('Log', [p], 1);
  ctx.add('Add', [r, l], [out]);
}

interface UnarySpec {
  name: string;
  onnx: string;
  fn: (v: number) => number;
  floatOnly?: boolean;
}

const UNARY: UnarySpec[] = [
  { name: 'Neg', onnx: 'Neg', fn: (v) => -v },
  { name: 'Abs', onnx: 'Abs', fn: Math.abs },
  { name: 'Sqrt', onnx: 'Sqrt', fn: Math.sqrt, floatOnly: true },
  { name: 'Reciprocal', onnx: 'Reciprocal', fn: (v) => 1 / v, floatOnly: true },
  { name: 'Exp', onnx: 'Exp', fn: Math.exp, floatOnly: true },
  { name: 'Log', onnx: 'Log', fn: Math.log, floatOnly: true },
  { name: 'Tanh', onnx: 'Tanh', fn: Math.tanh, floatOnly: true },
  { name: 'Sin', onnx: 'Sin', fn: Math.sin, floatOnly: true },
  { name: 'Cos', onnx: 'Cos', fn: Math.cos, floatOnly: true },
  { name: 'Sigmoid', onnx: 'Sigmoid', fn: (v) => 1 / (1 + Math.exp(-v)), floatOnly: true },
  { name: 'Relu', onnx: 'Relu', fn: (v) => Math.max(v, 0) },
  { name: 'Softplus', onnx: 'Softplus', fn: (v) => Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v))), floatOnly: true },
  { name: 'Gelu', onnx: 'Gelu', fn: geluTanh, floatOnly: true },
  { name: 'Not', onnx: 'Not', fn: (v) => (v ? 0 : 1) },
  { name: 'Identity', onnx: 'Identity', fn: (v) => v },
  // Identity at runtime; autodiff treats it as a constant.
  { name: 'StopGradient', onnx: 'Identity', fn: (v) => v },
];

for (const spec of UNARY) {
  defineOp({
    name: spec.name,
    infer([x]) {
      if (spec.floatOnly && !isFloat(x.dtype)) throw new Error(`${spec.name}: needs a float tensor, got ${x.dtype}`);
      if (spec.name === 'Not' && x.dtype !== 'bool') throw new Error('Not: needs bool');
      return [{ dtype: x.dtype, shape: x.shape }];
    },
    evaluate: ([x]) => [mapUnary(x, x.dtype, spec.fn)],
    emit(ctx, node, ins, outs) {
      const dtype = node.inputs[0].dtype;
      // ORT's Gelu kernel is float32-only; other dtypes get the same formula from primitives.
      if (spec.name === 'Gelu' && dtype !== 'float32') return emitGeluDecomposed(ctx, ins[0], outs[0], dtype);
      if (spec.name === 'Softplus' && dtype !== 'float32') return emitSoftplusDecomposed(ctx, ins[0], outs[0]);
      if (spec.name === 'Gelu') ctx.add('Gelu', ins, outs, { approximate: attr.string('tanh') });
      else ctx.add(spec.onnx, ins, outs);
    },
  });
}

interface BinarySpec {
  name: string;
  fn: (a: number, b: number) => number;
  compare?: boolean;
  logical?: boolean;
}

const BINARY: BinarySpec[] = [
  { name: 'Add', fn: (a, b) => a + b },
  { name: 'Sub', fn: (a, b) => a - b },
  { name: 'Mul', fn: (a, b) => a * b },
  { name: 'Div', fn: (a, b) => a / b },
  { name: 'Pow', fn: (a, b) => Math.pow(a, b) },
  { name: 'Max', fn: (a, b) => Math.max(a, b) },
  { name: 'Min', fn: (a, b) => Math.min(a, b) },
  { name: 'Equal', fn: (a, b) => (a === b ? 1 : 0), compare: true },
  { name: 'Less', fn: (a, b) => (a < b ? 1 : 0), compare: true },
  { name: 'Greater', fn: (a, b) => (a > b ? 1 : 0), compare: true },
  { name: 'LessOrEqual', fn: (a, b) => (a <= b ? 1 : 0), compare: true },
  { name: 'GreaterOrEqual', fn: (a, b) => (a >= b ? 1 : 0), compare: true },
  { name: 'And', fn: (a, b) => (a && b ? 1 : 0), logical: true },
  { name: 'Or', fn: (a, b) => (a || b ? 1 : 0), logical: true },
];

for (const spec of BINARY) {
  defineOp({
    name: spec.name,
    infer(ins) {
      const dtype = requireSameDtype(spec.name, ins);
      if (spec.logical && dtype !== 'bool') throw new Error(`${spec.name}: needs bool inputs`);
      const shape = broadcastShapes(ins[0].shape, ins[1].shape);
      return [{ dtype: spec.compare ? 'bool' : dtype, shape }];
    },
    evaluate(ins) {
      const dtype = spec.compare ? 'bool' : ins[0].dtype;
      // Integer division truncates toward zero in ONNX (C semantics).
      return [mapBroadcast(ins, dtype, spec.fn)];
    },
    emit: (ctx, _node, ins, outs) => void ctx.add(spec.name, ins, outs),
  });
}

defineOp({
  name: 'Where',
  infer([c, a, b]) {
    if (c.dtype !== 'bool') throw new Error('Where: condition must be bool');
    const dtype = requireSameDtype('Where', [a, b]);
    return [{ dtype, shape: broadcastShapes(broadcastShapes(c.shape, a.shape), b.shape) }];
  },
  evaluate: (ins) => [mapBroadcast(ins, ins[1].dtype, (c, a, b) => (c ? a : b))],
  emit: (ctx, _n, ins, outs) => void ctx.add('Where', ins, outs),
});

const DTYPE_TO_ONNX: Record<DType, number> = {
  float32: 1,
  uint8: 2,
  uint16: 4,
  int32: 6,
  int64: 7,
  bool: 9,
  float16: 10,
  float64: 11,
  bfloat16: 16,
};

export function onnxDtype(d: DType): number {
  return DTYPE_TO_ONNX[d];
}

defineOp({
  name: 'Cast',
  infer: ([x], attrs) => [{ dtype: attrs.to as DType, shape: x.shape }],
  evaluate: ([x], attrs) => [mapUnary(x, attrs.to as DType, (v) => v)],
  emit: (ctx, node, ins, outs) => void ctx.add('Cast', ins, outs, { to: attr.int(onnxDtype(node.attrs.to as DType)) }),
});

defineOp({
  name: 'Clip',
  infer: ([x]) => [{ dtype: x.dtype, shape: x.shape }],
  evaluate([x], attrs) {
    const lo = typeof attrs.min === 'number' ? attrs.min : -Infinity;
    const hi = typeof attrs.max === 'number' ? attrs.max : Infinity;
    return [mapUnary(x, x.dtype, (v) => Math.min(Math.max(v, lo), hi))];
  },
  emit(ctx, node, ins, outs) {
    const dtype = node.inputs[0].dtype;
    const lo = typeof node.attrs.min === 'number' ? ctx.scalar(node.attrs.min, dtype) : '';
    const hi = typeof node.attrs.max === 'number' ? ctx.scalar(node.attrs.max, dtype) : '';
    ctx.add('Clip', [ins[0], lo, hi], outs);
  },
});
