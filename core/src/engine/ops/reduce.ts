import { normAxis, type Dim } from '../ir/dim.js';
import { defineOp } from '../ir/op-def.js';
import { attrBool, attrInts, type Attrs } from '../ir/tensor.js';
import { nd, size, strides, type NdArray } from '../interpret/nd-array.js';
import { attr } from '../onnx/attr.js';

export function reducedShape<T extends Dim>(shape: readonly T[], axes: readonly number[], keep: boolean): (T | 1)[] {
  const set = new Set(axes.map((a) => normAxis(a, shape.length)));
  const out: (T | 1)[] = [];
  shape.forEach((d, i) => {
    if (!set.has(i)) out.push(d);
    else if (keep) out.push(1);
  });
  return out;
}

/** Folds `x` over `axes` with `fn`, then `finish(acc, count)`. */
function reduce(x: NdArray, attrs: Attrs, init: number, fn: (a: number, v: number) => number, finish: (a: number, n: number) => number): NdArray {
  const axes = attrInts(attrs, 'axes').map((a) => normAxis(a, x.dims.length));
  const keepDims = reducedShape(x.dims, axes, true) as number[];
  const out = nd(x.dtype, keepDims);
  out.data.fill(init);
  const xs = strides(x.dims);
  const os = strides(keepDims);
  let count = 1;
  for (const a of axes) count *= x.dims[a];
  for (let i = 0; i < x.data.length; i++) {
    let rem = i;
    let o = 0;
    for (let d = 0; d < x.dims.length; d++) {
      const q = Math.floor(rem / xs[d]);
      rem -= q * xs[d];
      if (keepDims[d] !== 1 || x.dims[d] === 1) o += q * os[d];
    }
    out.data[o] = fn(out.data[o], x.data[i]);
  }
  for (let i = 0; i < out.data.length; i++) out.data[i] = finish(out.data[i], count);
  const dims = reducedShape(x.dims, axes, attrBool(attrs, 'keepdims')) as number[];
  return { dtype: x.dtype, dims, data: out.data };
}

const KINDS: Array<[string, number, (a: number, v: number) => number, (a: number, n: number) => number]> = [
  ['ReduceSum', 0, (a, v) => a + v, (a) => a],
  ['ReduceMean', 0, (a, v) => a + v, (a, n) => a / n],
  ['ReduceMax', -Infinity, Math.max, (a) => a],
  ['ReduceMin', Infinity, Math.min, (a) => a],
];

for (const [name, init, fn, finish] of KINDS) {
  defineOp({
    name,
    infer([x], attrs) {
      const axes = attrInts(attrs, 'axes');
      if (axes.length === 0) throw new Error(`${name}: axes must be explicit`);
      return [{ dtype: x.dtype, shape: reducedShape(x.shape, axes, attrBool(attrs, 'keepdims')) }];
    },
    evaluate: ([x], attrs) => [reduce(x, attrs, init, fn, finish)],
    emit(ctx, node, ins, outs) {
      const axes = attrInts(node.attrs, 'axes').map((a) => normAxis(a, node.inputs[0].rank));
      ctx.add(name, [ins[0], ctx.ints(axes)], outs, { keepdims: attr.int(attrBool(node.attrs, 'keepdims') ? 1 : 0) });
    },
  });
}

/** Applies `fn` to each lane along `axis` (used by softmax-like ops). */
export function mapLanes(x: NdArray, axis: number, fn: (lane: Float64Array) => Float64Array): NdArray {
  const a = normAxis(axis, x.dims.length);
  const n = x.dims[a];
  const inner = size(x.dims.slice(a + 1));
  const outer = size(x.dims.slice(0, a));
  const out = nd(x.dtype, x.dims);
  const lane = new Float64Array(n);
  for (let o = 0; o < outer; o++)
    for (let i = 0; i < inner; i++) {
      for (let k = 0; k < n; k++) lane[k] = x.data[(o * n + k) * inner + i];
      const r = fn(lane);
      for (let k = 0; k < n; k++) out.data[(o * n + k) * inner + i] = r[k];
    }
  return out;
}
