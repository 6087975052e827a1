import { defineOp, type EmitContext } from '../ir/op-def.js';
import { attrNum, type Attrs, type TensorType } from '../ir/tensor.js';
import { nd, type NdArray } from '../interpret/nd-array.js';
import { attr } from '../onnx/attr.js';
import { isFloat } from './elementwise.js';
import { mapLanes } from './reduce.js';

function softmaxLane(lane: Float64Array): Float64Array {
  const m = Math.max(...lane);
  const e = lane.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

function logSoftmaxLane(lane: Float64Array): Float64Array {
  const m = Math.max(...lane);
  const lse = m + Math.log(lane.reduce((a, v) => a + Math.exp(v - m), 0));
  return lane.map((v) => v - lse);
}

for (const [name, lane] of [
  ['Softmax', softmaxLane],
  ['LogSoftmax', logSoftmaxLane],
] as const) {
  defineOp({
    name,
    infer([x]) {
      if (!isFloat(x.dtype)) throw new Error(`${name}: needs float`);
      return [{ dtype: x.dtype, shape: x.shape }];
    },
    evaluate: ([x], attrs) => [mapLanes(x, attrNum(attrs, 'axis', -1), lane)],
    emit: (ctx, node, ins, outs) => void ctx.add(name, ins, outs, { axis: attr.int(attrNum(node.attrs, 'axis', -1)) }),
  });
}

function statShape(x: TensorType): TensorType {
  return { dtype: x.dtype, shape: [...x.shape.slice(0, -1), 1] };
}

/** Normalises each last-axis row; returns y, mean (0 for RMS) and 1/std per row. */
function normRows(x: NdArray, eps: number, rms: boolean): [NdArray, NdArray, NdArray] {
  const n = x.dims[x.dims.length - 1];
  const rows = x.data.length / n;
  const y = nd(x.dtype, x.dims);
  const mean = nd(x.dtype, [...x.dims.slice(0, -1), 1]);
  const inv = nd(x.dtype, [...x.dims.slice(0, -1), 1]);
  for (let r = 0; r < rows; r++) {
    let mu = 0;
    if (!rms) for (let k = 0; k < n; k++) mu += x.data[r * n + k] / n;
    let v = 0;
    for (let k = 0; k < n; k++) v += (x.data[r * n + k] - mu) ** 2 / n;
    const is = 1 / Math.sqrt(v + eps);
    for (let k = 0; k < n; k++) y.data[r * n + k] = (x.data[r * n + k] - mu) * is;
    mean.data[r] = mu;
    inv.data[r] = is;
  }
  return [y, mean, inv];
}

function scaleShift(y: NdArray, scale: NdArray, bias?: NdArray): NdArray {
  const n = scale.data.length;
  const out = nd(y.dtype, y.dims);
  for (let i = 0; i < y.data.length; i++) out.data[i] = y.data[i] * scale.data[i % n] + (bias ? bias.data[i % n] : 0);
  return out;
}

function stashType(dtype: string): number {
  return dtype === 'float64' ? 11 : 1;
}

function emitLayerNormDecomposed(ctx: EmitContext, attrs: Attrs, ins: readonly string[], outs: readonly string[]): void {
  const keep = { keepdims: attr.int(1) };
  ctx.add('ReduceMean', [ins[0], ctx.ints([-1])], [outs[1]], keep);
  const [d] = ctx.add('Sub', [ins[0], outs[1]], 1);
  const [sq] = ctx.add('Mul', [d, d], 1);
  const [v] = ctx.add('ReduceMean', [sq, ctx.ints([-1])], 1, keep);
  const [ve] = ctx.add('Add', [v, ctx.scalar(attrNum(attrs, 'epsilon'), 'float64')], 1);
  const [sd] = ctx.add('Sqrt', [ve], 1);
  ctx.add('Reciprocal', [sd], [outs[2]]);
  const [xh] = ctx.add('Mul', [d, outs[2]], 1);
  const [ys] = ctx.add('Mul', [xh, ins[1]], 1);
  ctx.add('Add', [ys, ins[2]], [outs[0]]);
}

/** LayerNorm over the last axis: outputs y, mean and inverse std (kept for backward, as ORT returns them). */
defineOp({
  name: 'LayerNorm',
  infer([x]) {
    if (!isFloat(x.dtype)) throw new Error('LayerNorm: needs float');
    return [{ dtype: x.dtype, shape: x.shape }, statShape(x), statShape(x)];
  },
  evaluate([x, scale, bias], attrs) {
    const [y, mean, inv] = normRows(x, attrNum(attrs, 'epsilon'), false);
    return [scaleShift(y, scale, bias), mean, inv];
  },
  emit(ctx, node, ins, outs) {
    // ORT's LayerNormalization kernel is float32/float16 only; float64 gets the same formula spelled out.
    if (node.inputs[0].dtype === 'float64') return emitLayerNormDecomposed(ctx, node.attrs, ins, outs);
    const attrs = { axis: attr.int(-1), epsilon: attr.float(attrNum(node.attrs, 'epsilon')), stash_type: attr.int(stashType(node.inputs[0].dtype)) };
    ctx.add('LayerNormalization', [ins[0], ins[1], ins[2] ?? ''], outs, attrs);
  },
});

/** RMSNorm over the last axis (Llama): outputs y and 1/rms per row. */
defineOp({
  name: 'RMSNorm',
  infer([x]) {
    if (!isFloat(x.dtype)) throw new Error('RMSNorm: needs float');
    return [{ dtype: x.dtype, shape: x.shape }, statShape(x)];
  },
  evaluate([x, scale], attrs) {
    const [y, , inv] = normRows(x, attrNum(attrs, 'epsilon'), true);
    return [scaleShift(y, scale), inv];
  },
  emit(ctx, node, ins, outs) {
    const eps = attrNum(node.attrs, 'epsilon');
    const dtype = node.inputs[0].dtype;
    // Spelled out as HF's LlamaRMSNorm does (mean of squares, rsqrt, x*r*w) so it matches in any dtype.
    const [sq] = ctx.add('Mul', [ins[0], ins[0]], 1);
    const [ms] = ctx.add('ReduceMean', [sq, ctx.ints([-1])], 1, { keepdims: attr.int(1) });
    const [mse] = ctx.add('Add', [ms, ctx.scalar(eps, dtype)], 1);
    const [rt] = ctx.add('Sqrt', [mse], 1);
    ctx.add('Reciprocal', [rt], [outs[1]]);
    const [xr] = ctx.add('Mul', [ins[0], outs[1]], 1);
    ctx.add('Mul', [xr, ins[1]], [outs[0]]);
  },
});
