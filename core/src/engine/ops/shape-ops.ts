import type { DType, HostTensor } from '../graph-executor.js';
import { canonDim, dimAdd, dimEq, isStaticDim, normAxis, shapeSize, shapeToString, type Dim } from '../ir/dim.js';
import { defineOp, type DimEnv } from '../ir/op-def.js';
import { attrBool, attrDims, attrInts, attrNum, type Attrs } from '../ir/tensor.js';
import { fromHost, nd, size, strides, type NdArray } from '../interpret/nd-array.js';
import { attr } from '../onnx/attr.js';
import { castValue } from './elementwise.js';

const INT_MAX = 2 ** 62;

function resolveAll(dims: readonly Dim[], env: DimEnv): number[] {
  return dims.map((d) => env.resolve(d));
}

/** Maps every output flat index to an input flat index. */
function gatherBy(x: NdArray, outDims: readonly number[], srcIndex: (multi: number[]) => number, dtype: DType = x.dtype): NdArray {
  const out = nd(dtype, outDims);
  const os = strides(outDims);
  const multi = new Array<number>(outDims.length);
  for (let i = 0; i < out.data.length; i++) {
    let rem = i;
    for (let d = 0; d < outDims.length; d++) {
      multi[d] = Math.floor(rem / os[d]);
      rem -= multi[d] * os[d];
    }
    out.data[i] = x.data[srcIndex(multi)];
  }
  return out;
}

function flatIndex(multi: readonly number[], st: readonly number[]): number {
  let f = 0;
  for (let d = 0; d < multi.length; d++) f += multi[d] * st[d];
  return f;
}

defineOp({
  name: 'Constant',
  infer: (_ins, attrs) => {
    const v = attrs.value as HostTensor;
    return [{ dtype: v.dtype, shape: [...v.dims] }];
  },
  evaluate: (_ins, attrs) => [fromHost(attrs.value as HostTensor)],
  emit: () => {
    throw new Error('Constant is emitted as an initializer');
  },
});

defineOp({
  name: 'Reshape',
  infer([x], attrs) {
    const shape = attrDims(attrs, 'shape').map(canonDim);
    if (!dimEq(shapeSize(x.shape), shapeSize(shape))) throw new Error(`Reshape: ${shapeToString(x.shape)} -> ${shapeToString(shape)} changes the size`);
    return [{ dtype: x.dtype, shape }];
  },
  evaluate: ([x], attrs, env) => [{ ...x, dims: resolveAll(attrDims(attrs, 'shape'), env) }],
  emit(ctx, node, ins, outs) {
    const target = attrDims(node.attrs, 'shape');
    const src = node.inputs[0].shape;
    // ONNX Reshape: 0 copies the input dim, -1 is inferred; only what is left needs a runtime shape.
    const spec: Dim[] = target.map((d, i) => (isStaticDim(d) ? d : i < src.length && dimEq(src[i], d) ? 0 : d));
    const open = spec.filter((d) => !isStaticDim(d));
    if (open.length === 1) spec[spec.indexOf(open[0])] = -1;
    const shape = spec.every(isStaticDim) ? ctx.ints(spec as number[]) : ctx.shapeTensor(target);
    ctx.add('Reshape', [ins[0], shape], outs);
  },
});

/**
 * `x` itself, read only once `when` (a bool scalar the run computes) exists (`gatedOn`). Emitted as a Reshape of x
 * to its own shape, that shape passed through Where(when, shape, shape): onnxruntime can neither fold it into a
 * constant at session creation nor run it before `when`, and a Reshape's output aliases its input, so unlike
 * Where(when, x, x) nothing is copied.
 */
defineOp({
  name: 'Gate',
  infer([x, when]) {
    if (when.dtype !== 'bool' || when.shape.length !== 0) throw new Error('Gate: the condition must be a bool scalar');
    return [{ dtype: x.dtype, shape: x.shape }];
  },
  evaluate: ([x]) => [x],
  emit(ctx, _node, [x, when], outs) {
    const [shape] = ctx.add('Shape', [x], 1);
    ctx.add('Reshape', [x, ctx.add('Where', [when, shape, shape], 1)[0]], outs);
  },
});

defineOp({
  name: 'Transpose',
  infer([x], attrs) {
    const perm = attrInts(attrs, 'perm');
    if (perm.length !== x.shape.length) throw new Error('Transpose: perm rank mismatch');
    return [{ dtype: x.dtype, shape: perm.map((p) => x.shape[p]) }];
  },
  evaluate([x], attrs) {
    const perm = attrInts(attrs, 'perm');
    const xs = strides(x.dims);
    return [gatherBy(x, perm.map((p) => x.dims[p]), (m) => m.reduce((f, v, d) => f + v * xs[perm[d]], 0))];
  },
  emit: (ctx, node, ins, outs) => void ctx.add('Transpose', ins, outs, { perm: attr.ints(attrInts(node.attrs, 'perm')) }),
});

interface SliceSpec {
  axis: number;
  start: number;
  end: number;
  step: number;
}

function sliceSpecs(attrs: Attrs, rank: number): SliceSpec[] {
  const starts = attrInts(attrs, 'starts');
  const ends = attrInts(attrs, 'ends');
  const axes = attrInts(attrs, 'axes');
  const steps = attrs.steps ? attrInts(attrs, 'steps') : axes.map(() => 1);
  return axes.map((a, i) => ({ axis: normAxis(a, rank), start: starts[i], end: ends[i], step: steps[i] }));
}

/** ONNX Slice start/end clamping for a known length. */
export function sliceRange(n: number, s: SliceSpec): [number, number] {
  const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);
  const norm = (v: number) => (v < 0 ? v + n : v);
  if (s.step > 0) return [clamp(norm(s.start), 0, n), clamp(norm(s.end), 0, n)];
  return [clamp(norm(s.start), -1, n - 1), clamp(norm(s.end), -1, n - 1)];
}

function sliceLen(n: number, s: SliceSpec): number {
  const [a, b] = sliceRange(n, s);
  return Math.max(0, Math.ceil((b - a) / s.step));
}

/** Symbolic slice length, assuming the bounds are in range (true for how models slice seq/batch). */
function symbolicSliceLen(d: Dim, s: SliceSpec): Dim {
  if (isStaticDim(d)) return sliceLen(d, s);
  if (s.step !== 1) throw new Error('Slice: steps other than 1 need a static dim');
  const end: Dim = s.end >= INT_MAX / 2 ? d : s.end < 0 ? dimAdd(d, s.end) : s.end;
  const start: Dim = s.start < 0 ? dimAdd(d, s.start) : s.start;
  return dimAdd(end, typeof start === 'number' ? -start : dimAdd(0, `-1*${start}`));
}

defineOp({
  name: 'Slice',
  infer([x], attrs) {
    const shape = [...x.shape];
    for (const s of sliceSpecs(attrs, x.shape.length)) shape[s.axis] = symbolicSliceLen(x.shape[s.axis], s);
    return [{ dtype: x.dtype, shape }];
  },
  evaluate([x], attrs) {
    const specs = sliceSpecs(attrs, x.dims.length);
    const dims = [...x.dims];
    const starts = x.dims.map(() => 0);
    const steps = x.dims.map(() => 1);
    for (const s of specs) {
      dims[s.axis] = sliceLen(x.dims[s.axis], s);
      starts[s.axis] = sliceRange(x.dims[s.axis], s)[0];
      steps[s.axis] = s.step;
    }
    const xs = strides(x.dims);
    return [gatherBy(x, dims, (m) => m.reduce((f, v, d) => f + (starts[d] + v * steps[d]) * xs[d], 0))];
  },
  emit(ctx, node, ins, outs) {
    const specs = sliceSpecs(node.attrs, node.inputs[0].rank);
    const c = (f: (s: SliceSpec) => number) => ctx.ints(specs.map(f));
    ctx.add('Slice', [ins[0], c((s) => s.start), c((s) => s.end), c((s) => s.axis), c((s) => s.step)], outs);
  },
});

defineOp({
  name: 'Pad',
  infer([x], attrs) {
    const pads = attrDims(attrs, 'pads');
    const r = x.shape.length;
    return [{ dtype: x.dtype, shape: x.shape.map((d, i) => dimAdd(dimAdd(d, pads[i]), pads[i + r])) }];
  },
  evaluate([x], attrs, env) {
    const pads = resolveAll(attrDims(attrs, 'pads'), env);
    const r = x.dims.length;
    const dims = x.dims.map((d, i) => d + pads[i] + pads[i + r]);
    const out = nd(x.dtype, dims);
    const os = strides(dims);
    const xs = strides(x.dims);
    for (let i = 0; i < x.data.length; i++) {
      let rem = i;
      let o = 0;
      for (let d = 0; d < r; d++) {
        const q = Math.floor(rem / xs[d]);
        rem -= q * xs[d];
        o += (q + pads[d]) * os[d];
      }
      out.data[o] = x.data[i];
    }
    return [out];
  },
  emit(ctx, node, ins, outs) {
    ctx.add('Pad', [ins[0], ctx.shapeTensor(attrDims(node.attrs, 'pads'))], outs, { mode: attr.string('constant') });
  },
});

defineOp({
  name: 'Concat',
  infer(ins, attrs) {
    const axis = normAxis(attrNum(attrs, 'axis'), ins[0].shape.length);
    const shape = [...ins[0].shape];
    shape[axis] = ins.map((t) => t.shape[axis]).reduce((a, b) => dimAdd(a, b));
    for (const t of ins)
      t.shape.forEach((d, i) => {
        if (i !== axis && !dimEq(d, shape[i])) throw new Error(`Concat: shapes ${ins.map((u) => shapeToString(u.shape)).join(' ')} differ off axis`);
      });
    return [{ dtype: ins[0].dtype, shape }];
  },
  evaluate(ins, attrs) {
    const axis = normAxis(attrNum(attrs, 'axis'), ins[0].dims.length);
    const dims = [...ins[0].dims];
    dims[axis] = ins.reduce((a, t) => a + t.dims[axis], 0);
    const outer = size(dims.slice(0, axis));
    const out = nd(ins[0].dtype, dims);
    let pos = 0;
    for (let o = 0; o < outer; o++)
      for (const t of ins) {
        const chunk = size(t.dims.slice(axis));
        out.data.set(t.data.subarray(o * chunk, (o + 1) * chunk), pos);
        pos += chunk;
      }
    return [out];
  },
  emit: (ctx, node, ins, outs) => void ctx.add('Concat', ins, outs, { axis: attr.int(attrNum(node.attrs, 'axis')) }),
});

defineOp({
  name: 'Split',
  infer([x], attrs) {
    const axis = normAxis(attrNum(attrs, 'axis'), x.shape.length);
    const sizes = attrDims(attrs, 'sizes');
    if (!dimEq(sizes.reduce((a, b) => dimAdd(a, b)), x.shape[axis])) throw new Error('Split: sizes do not add up');
    return sizes.map((s) => ({ dtype: x.dtype, shape: x.shape.map((d, i) => (i === axis ? canonDim(s) : d)) }));
  },
  evaluate([x], attrs, env) {
    const axis = normAxis(attrNum(attrs, 'axis'), x.dims.length);
    const sizes = resolveAll(attrDims(attrs, 'sizes'), env);
    let start = 0;
    return sizes.map((n) => {
      const xs = strides(x.dims);
      const dims = x.dims.map((d, i) => (i === axis ? n : d));
      const s0 = start;
      start += n;
      return gatherBy(x, dims, (m) => m.reduce((f, v, d) => f + (d === axis ? v + s0 : v) * xs[d], 0));
    });
  },
  emit(ctx, node, ins, outs) {
    const sizes = attrDims(node.attrs, 'sizes');
    ctx.add('Split', [ins[0], ctx.shapeTensor(sizes)], outs, { axis: attr.int(attrNum(node.attrs, 'axis')) });
  },
});

function unsqueezeShape<T>(shape: readonly T[], axes: readonly number[], one: T): T[] {
  const rank = shape.length + axes.length;
  const set = new Set(axes.map((a) => normAxis(a, rank)));
  const out: T[] = [];
  let j = 0;
  for (let i = 0; i < rank; i++) out.push(set.has(i) ? one : shape[j++]);
  return out;
}

defineOp({
  name: 'Unsqueeze',
  infer: ([x], attrs) => [{ dtype: x.dtype, shape: unsqueezeShape<Dim>(x.shape, attrInts(attrs, 'axes'), 1) }],
  evaluate: ([x], attrs) => [{ ...x, dims: unsqueezeShape(x.dims, attrInts(attrs, 'axes'), 1) }],
  emit: (ctx, node, ins, outs) => void ctx.add('Unsqueeze', [ins[0], ctx.ints(attrInts(node.attrs, 'axes'))], outs),
});

function squeezeShape<T extends Dim>(shape: readonly T[], axes: readonly number[]): T[] {
  const set = new Set(axes.map((a) => normAxis(a, shape.length)));
  for (const a of set) if (shape[a] !== 1) throw new Error(`Squeeze: axis ${a} of ${shapeToString(shape)} is not 1`);
  return shape.filter((_, i) => !set.has(i));
}

defineOp({
  name: 'Squeeze',
  infer: ([x], attrs) => [{ dtype: x.dtype, shape: squeezeShape(x.shape, attrInts(attrs, 'axes')) }],
  evaluate: ([x], attrs) => [{ ...x, dims: squeezeShape(x.dims, attrInts(attrs, 'axes')) }],
  emit: (ctx, node, ins, outs) => void ctx.add('Squeeze', [ins[0], ctx.ints(attrInts(node.attrs, 'axes'))], outs),
});

defineOp({
  name: 'Expand',
  infer([x], attrs) {
    const shape = attrDims(attrs, 'shape').map(canonDim);
    const off = shape.length - x.shape.length;
    x.shape.forEach((d, i) => {
      if (d !== 1 && !dimEq(d, shape[i + off])) throw new Error(`Expand: ${shapeToString(x.shape)} -> ${shapeToString(shape)}`);
    });
    return [{ dtype: x.dtype, shape }];
  },
  evaluate([x], attrs, env) {
    const dims = resolveAll(attrDims(attrs, 'shape'), env);
    const off = dims.length - x.dims.length;
    const xs = strides(x.dims);
    return [gatherBy(x, dims, (m) => x.dims.reduce((f, d, i) => f + (d === 1 ? 0 : m[i + off] * xs[i]), 0))];
  },
  emit: (ctx, node, ins, outs) => void ctx.add('Expand', [ins[0], ctx.shapeTensor(attrDims(node.attrs, 'shape'))], outs),
});

defineOp({
  name: 'Fill',
  infer: (_ins, attrs) => [{ dtype: attrs.dtype as DType, shape: attrDims(attrs, 'shape').map(canonDim) }],
  evaluate(_ins, attrs, env) {
    const out = nd(attrs.dtype as DType, resolveAll(attrDims(attrs, 'shape'), env));
    out.data.fill(castValue(attrs.dtype as DType, attrNum(attrs, 'value')));
    return [out];
  },
  emit(ctx, node, _ins, outs) {
    const dtype = node.attrs.dtype as DType;
    const value = ctx.scalarTensor(attrNum(node.attrs, 'value'), dtype);
    ctx.add('ConstantOfShape', [ctx.shapeTensor(attrDims(node.attrs, 'shape'))], outs, { value: { type: 'tensor', value } });
  },
});

defineOp({
  name: 'Arange',
  infer: (_ins, attrs) => [{ dtype: attrs.dtype as DType, shape: [canonDim(attrs.n as Dim)] }],
  evaluate: (_ins, attrs, env) => {
    const n = env.resolve(attrs.n as Dim);
    return [nd(attrs.dtype as DType, [n], Array.from({ length: n }, (_, i) => i))];
  },
  emit(ctx, node, _ins, outs) {
    const dtype = node.attrs.dtype as DType;
    const [n] = ctx.add('Squeeze', [ctx.shapeTensor([node.attrs.n as Dim]), ctx.ints([0])], 1);
    const [lim] = dtype === 'int64' ? [n] : ctx.add('Cast', [n], 1, { to: attr.int(ctx.onnxDtype(dtype)) });
    ctx.add('Range', [ctx.scalar(0, dtype), lim, ctx.scalar(1, dtype)], outs);
  },
});

/** The runtime value of a (symbolic) dim as a scalar of `dtype`. */
defineOp({
  name: 'DimValue',
  infer: (_ins, attrs) => [{ dtype: attrs.dtype as DType, shape: [] }],
  evaluate: (_ins, attrs, env) => [nd(attrs.dtype as DType, [], [env.resolve(attrs.dim as Dim)])],
  emit(ctx, node, _ins, outs) {
    const dtype = node.attrs.dtype as DType;
    if (dtype === 'int64') return void ctx.add('Squeeze', [ctx.shapeTensor([node.attrs.dim as Dim]), ctx.ints([0])], outs);
    const [n] = ctx.add('Squeeze', [ctx.shapeTensor([node.attrs.dim as Dim]), ctx.ints([0])], 1);
    ctx.add('Cast', [n], outs, { to: attr.int(ctx.onnxDtype(dtype)) });
  },
});

defineOp({
  name: 'Trilu',
  infer: ([x]) => [{ dtype: x.dtype, shape: x.shape }],
  evaluate([x], attrs) {
    const upper = attrBool(attrs, 'upper');
    const k = attrNum(attrs, 'k', 0);
    const [r, c] = x.dims.slice(-2);
    const out = nd(x.dtype, x.dims, x.data);
    for (let i = 0; i < out.data.length; i++) {
      const row = Math.floor(i / c) % r;
      const col = i % c;
      const keep = upper ? col - row >= k : col - row <= k;
      if (!keep) out.data[i] = 0;
    }
    return [out];
  },
  emit(ctx, node, ins, outs) {
    const k = ctx.scalar(attrNum(node.attrs, 'k', 0), 'int64');
    ctx.add('Trilu', [ins[0], k], outs, { upper: attr.int(attrBool(node.attrs, 'upper') ? 1 : 0) });
  },
});
export { flatIndex, gatherBy, unsqueezeShape };

defineOp({
  name: 'Initializer',
  infer: (_ins, attrs) => {
    const v = attrs.value as HostTensor;
    return [{ dtype: v.dtype, shape: [...v.dims] }];
  },
  evaluate: (_ins, attrs) => [fromHost(attrs.value as HostTensor)],
  emit: () => {
    throw new Error('Initializer is emitted as an initializer');
  },
});
