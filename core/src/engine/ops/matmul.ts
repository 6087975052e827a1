import { broadcastShapes, dimEq, shapeToString, type Dim } from '../ir/dim.js';
import type { DType } from '../graph-executor.js';
import { defineOp, type EmitContext } from '../ir/op-def.js';
import { attrBool, attrNum, type Attrs } from '../ir/tensor.js';
import { broadcastDims, broadcastIndexer, nd, size, strides, type NdArray } from '../interpret/nd-array.js';
import { attr } from '../onnx/attr.js';
import { isFloat, onnxDtype, requireSameDtype } from './elementwise.js';

/** Rows/cols of op(X) where op transposes the last two axes when `t`. */
function mk<T>(dims: readonly T[], t: boolean): [T, T] {
  const r = dims[dims.length - 2];
  const c = dims[dims.length - 1];
  return t ? [c, r] : [r, c];
}

export function matmulShape(a: readonly Dim[], b: readonly Dim[], attrs: Attrs): Dim[] {
  if (a.length < 2 || b.length < 2) throw new Error('MatMul: operands must have rank >= 2 (unsqueeze vectors)');
  const [m, k1] = mk(a, attrBool(attrs, 'transA'));
  const [k2, n] = mk(b, attrBool(attrs, 'transB'));
  if (!dimEq(k1, k2)) throw new Error(`MatMul: inner dims differ: ${shapeToString(a)} x ${shapeToString(b)}`);
  const batch = broadcastShapes(a.slice(0, -2), b.slice(0, -2));
  return [...batch, m, n];
}

function evalMatmul(a: NdArray, b: NdArray, attrs: Attrs): NdArray {
  const tA = attrBool(attrs, 'transA');
  const tB = attrBool(attrs, 'transB');
  const alpha = attrNum(attrs, 'alpha', 1);
  const [m, k] = mk(a.dims, tA);
  const [, n] = mk(b.dims, tB);
  const batch = broadcastDims(a.dims.slice(0, -2), b.dims.slice(0, -2));
  const out = nd(a.dtype, [...batch, m, n]);
  const ia = broadcastIndexer(batch, a.dims.slice(0, -2));
  const ib = broadcastIndexer(batch, b.dims.slice(0, -2));
  const [ar, ac] = strides(a.dims.slice(-2));
  const [br, bc] = strides(b.dims.slice(-2));
  const sa = size(a.dims.slice(-2));
  const sb = size(b.dims.slice(-2));
  for (let bi = 0; bi < size(batch); bi++) {
    const oa = ia(bi) * sa;
    const ob = ib(bi) * sb;
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) {
          const av = a.data[oa + (tA ? p * ar + i * ac : i * ar + p * ac)];
          const bv = b.data[ob + (tB ? j * br + p * bc : p * br + j * bc)];
          s += av * bv;
        }
        out.data[(bi * m + i) * n + j] = alpha * s;
      }
  }
  return out;
}

function swapLast(rank: number): number[] {
  const p = [...Array(rank).keys()];
  [p[rank - 2], p[rank - 1]] = [p[rank - 1], p[rank - 2]];
  return p;
}

/** A scalar initializer of `dtype`; a 16-bit one (autocast) as a float32 constant cast to it, since host tensors hold no 16-bit floats from numbers. */
function scalarOf(ctx: EmitContext, value: number, dtype: DType): string {
  if (dtype !== 'float16' && dtype !== 'bfloat16') return ctx.scalar(value, dtype);
  return ctx.add('Cast', [ctx.scalar(value, 'float32')], 1, { to: attr.int(onnxDtype(dtype)) })[0]!;
}

defineOp({
  name: 'MatMul',
  infer(ins, attrs) {
    const dtype = requireSameDtype('MatMul', ins);
    if (!isFloat(dtype)) throw new Error('MatMul: needs float tensors');
    return [{ dtype, shape: matmulShape(ins[0].shape, ins[1].shape, attrs) }];
  },
  evaluate: ([a, b], attrs) => [evalMatmul(a, b, attrs)],
  emit(ctx, node, ins, outs) {
    const tA = attrBool(node.attrs, 'transA');
    const tB = attrBool(node.attrs, 'transB');
    const alpha = attrNum(node.attrs, 'alpha', 1);
    const [a, b] = node.inputs;
    if (!tA && !tB && alpha === 1) return void ctx.add('MatMul', ins, outs);
    if (a.rank === 2 && b.rank === 2) {
      // Gemm's transA/transB cost nothing extra in MLAS and it has a float64 kernel.
      return void ctx.add('Gemm', ins, outs, { transA: attr.int(+tA), transB: attr.int(+tB), alpha: attr.float(alpha) });
    }
    if (a.dtype === 'float32' && ctx.contribOps) {
      const attrs = { transA: attr.int(+tA), transB: attr.int(+tB), alpha: attr.float(alpha) };
      return void ctx.add('FusedMatMul', ins, outs, attrs, 'com.microsoft');
    }
    const x = tA ? ctx.add('Transpose', [ins[0]], 1, { perm: attr.ints(swapLast(a.rank)) })[0] : ins[0];
    const y = tB ? ctx.add('Transpose', [ins[1]], 1, { perm: attr.ints(swapLast(b.rank)) })[0] : ins[1];
    if (alpha === 1) return void ctx.add('MatMul', [x, y], outs);
    const [p] = ctx.add('MatMul', [x, y], 1);
    ctx.add('Mul', [p, scalarOf(ctx, alpha, a.dtype)], outs);
  },
});
