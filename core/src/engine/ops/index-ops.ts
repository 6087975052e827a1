import type { DType } from '../graph-executor.js';
import { normAxis, shapeToString } from '../ir/dim.js';
import { defineOp } from '../ir/op-def.js';
import { attrNum } from '../ir/tensor.js';
import { nd, size, strides, type NdArray } from '../interpret/nd-array.js';
import { attr } from '../onnx/attr.js';
import { gatherBy } from './shape-ops.js';

function isIndex(d: DType): boolean {
  return d === 'int64' || d === 'int32';
}

function wrap(i: number, n: number): number {
  const j = i < 0 ? i + n : i;
  if (j < 0 || j >= n) throw new Error(`index ${i} out of range [0, ${n})`);
  return j;
}

defineOp({
  name: 'Gather',
  infer([data, idx], attrs) {
    if (!isIndex(idx.dtype)) throw new Error('Gather: indices must be int64/int32');
    const a = normAxis(attrNum(attrs, 'axis', 0), data.shape.length);
    return [{ dtype: data.dtype, shape: [...data.shape.slice(0, a), ...idx.shape, ...data.shape.slice(a + 1)] }];
  },
  evaluate([data, idx], attrs) {
    const a = normAxis(attrNum(attrs, 'axis', 0), data.dims.length);
    const dims = [...data.dims.slice(0, a), ...idx.dims, ...data.dims.slice(a + 1)];
    const ds = strides(data.dims);
    const is = strides(idx.dims);
    const q = idx.dims.length;
    return [
      gatherBy(data, dims, (m) => {
        let ii = 0;
        for (let k = 0; k < q; k++) ii += m[a + k] * is[k];
        let f = wrap(idx.data[ii], data.dims[a]) * ds[a];
        for (let d = 0; d < a; d++) f += m[d] * ds[d];
        for (let d = a + 1; d < data.dims.length; d++) f += m[d + q - 1] * ds[d];
        return f;
      }),
    ];
  },
  emit: (ctx, node, ins, outs) => void ctx.add('Gather', ins, outs, { axis: attr.int(attrNum(node.attrs, 'axis', 0)) }),
});

defineOp({
  name: 'GatherElements',
  infer([data, idx], attrs) {
    if (!isIndex(idx.dtype)) throw new Error('GatherElements: indices must be int64/int32');
    if (idx.shape.length !== data.shape.length) throw new Error('GatherElements: ranks differ');
    normAxis(attrNum(attrs, 'axis', 0), data.shape.length);
    return [{ dtype: data.dtype, shape: idx.shape }];
  },
  evaluate([data, idx], attrs) {
    const a = normAxis(attrNum(attrs, 'axis', 0), data.dims.length);
    const ds = strides(data.dims);
    const is = strides(idx.dims);
    return [
      gatherBy(data, idx.dims, (m) => {
        const j = wrap(idx.data[m.reduce((f, v, d) => f + v * is[d], 0)], data.dims[a]);
        return m.reduce((f, v, d) => f + (d === a ? j : v) * ds[d], 0);
      }),
    ];
  },
  emit: (ctx, node, ins, outs) => void ctx.add('GatherElements', ins, outs, { axis: attr.int(attrNum(node.attrs, 'axis', 0)) }),
});

function combine(reduction: string, a: number, b: number): number {
  if (reduction === 'add') return a + b;
  if (reduction === 'none') return b;
  throw new Error(`scatter reduction ${reduction} not supported by the interpreter`);
}

defineOp({
  name: 'ScatterND',
  infer([data, idx, upd]) {
    if (!isIndex(idx.dtype)) throw new Error('ScatterND: indices must be integer');
    const k = idx.shape[idx.shape.length - 1];
    if (typeof k !== 'number') throw new Error('ScatterND: last indices dim must be static');
    const want = [...idx.shape.slice(0, -1), ...data.shape.slice(k)];
    if (upd.shape.length !== want.length) throw new Error(`ScatterND: updates ${shapeToString(upd.shape)} vs ${shapeToString(want)}`);
    return [{ dtype: data.dtype, shape: data.shape }];
  },
  evaluate([data, idx, upd], attrs) {
    const k = idx.dims[idx.dims.length - 1];
    const out = nd(data.dtype, data.dims, data.data);
    const ds = strides(data.dims);
    const chunk = size(data.dims.slice(k));
    const n = size(idx.dims.slice(0, -1));
    const red = String(attrs.reduction ?? 'none');
    for (let r = 0; r < n; r++) {
      let base = 0;
      for (let j = 0; j < k; j++) base += wrap(idx.data[r * k + j], data.dims[j]) * ds[j];
      for (let c = 0; c < chunk; c++) out.data[base + c] = combine(red, out.data[base + c], upd.data[r * chunk + c]);
    }
    return [out];
  },
  emit: (ctx, node, ins, outs) => void ctx.add('ScatterND', ins, outs, { reduction: attr.string(String(node.attrs.reduction ?? 'none')) }),
});

defineOp({
  name: 'ScatterElements',
  infer: ([data]) => [{ dtype: data.dtype, shape: data.shape }],
  evaluate([data, idx, upd], attrs) {
    const a = normAxis(attrNum(attrs, 'axis', 0), data.dims.length);
    const out: NdArray = nd(data.dtype, data.dims, data.data);
    const ds = strides(data.dims);
    const is = strides(idx.dims);
    const red = String(attrs.reduction ?? 'none');
    for (let i = 0; i < idx.data.length; i++) {
      let rem = i;
      let f = 0;
      for (let d = 0; d < idx.dims.length; d++) {
        const q = Math.floor(rem / is[d]);
        rem -= q * is[d];
        f += (d === a ? wrap(idx.data[i], data.dims[a]) : q) * ds[d];
      }
      out.data[f] = combine(red, out.data[f], upd.data[i]);
    }
    return [out];
  },
  emit(ctx, node, ins, outs) {
    const attrs = { axis: attr.int(attrNum(node.attrs, 'axis', 0)), reduction: attr.string(String(node.attrs.reduction ?? 'none')) };
    ctx.add('ScatterElements', ins, outs, attrs);
  },
});
