import { dimAdd, isStaticDim, normAxis, type Dim } from '../ir/dim.js';
import { attrInts, attrNum, type Tensor } from '../ir/tensor.js';
import { sliceRange } from '../ops/shape-ops.js';
import { defineGrad } from './grad-registry.js';
import { sumToShape } from './sum-to-shape.js';

const reshapeBack = (op: string) =>
  defineGrad(op, (g, node, [dy]) => [dy ? g.reshape(dy, node.inputs[0].shape) : undefined]);
reshapeBack('Reshape');
reshapeBack('Unsqueeze');
reshapeBack('Squeeze');

defineGrad('Gate', (_g, _node, [dy]) => [dy]);

defineGrad('Transpose', (g, node, [dy]) => {
  if (!dy) return [];
  const perm = attrInts(node.attrs, 'perm');
  const inv = new Array<number>(perm.length);
  perm.forEach((p, i) => (inv[p] = i));
  return [g.transpose(dy, inv)];
});

defineGrad('Expand', (g, node, [dy]) => [dy ? sumToShape(g, dy, node.inputs[0].shape) : undefined]);

/** The adjoint of a step-1 slice is a zero pad: `start` before, `dim − end` after. */
defineGrad('Slice', (g, node, [dy]) => {
  if (!dy) return [];
  const x = node.inputs[0];
  const pads: Dim[] = new Array<Dim>(2 * x.rank).fill(0);
  const starts = attrInts(node.attrs, 'starts');
  const ends = attrInts(node.attrs, 'ends');
  attrInts(node.attrs, 'axes').forEach((a, i) => {
    if (node.attrs.steps && attrInts(node.attrs, 'steps')[i] !== 1) throw new Error('Slice gradient needs step 1');
    const d = x.shape[a];
    const [before, after] = slicePads(d, starts[i], ends[i]);
    pads[a] = before;
    pads[a + x.rank] = after;
  });
  return [g.pad(dy, pads)];
});

function slicePads(d: Dim, start: number, end: number): [Dim, Dim] {
  if (isStaticDim(d)) {
    const [s, e] = sliceRange(d, { axis: 0, start, end, step: 1 });
    return [s, d - Math.max(e, s)];
  }
  const before: Dim = start >= 0 ? start : dimAdd(d, start);
  const after: Dim = end >= 2 ** 61 ? 0 : end < 0 ? -end : dimAdd(d, -end);
  return [before, after];
}

defineGrad('Concat', (g, node, [dy], needs) => {
  if (!dy) return [];
  const axis = attrNum(node.attrs, 'axis');
  const parts = g.split(dy, axis, node.inputs.map((t) => t.shape[axis]));
  return parts.map((p, i) => (needs[i] ? p : undefined));
});

defineGrad('Split', (g, node, dys) => {
  const axis = attrNum(node.attrs, 'axis');
  const parts = node.outputs.map((o, i) => dys[i] ?? g.zerosLike(o));
  return [g.concat(parts, axis)];
});

defineGrad('Pad', (g, node, [dy]) => {
  if (!dy) return [];
  const x = node.inputs[0];
  const pads = node.attrs.pads as Dim[];
  let out: Tensor = dy;
  for (let a = 0; a < x.rank; a++) {
    const before = pads[a];
    if (before === 0 && pads[a + x.rank] === 0) continue;
    if (!isStaticDim(before)) throw new Error('Pad gradient needs static leading pads');
    const after = pads[a + x.rank];
    if (!isStaticDim(after)) throw new Error('Pad gradient needs static trailing pads');
    out = g.slice(out, a, before, after === 0 ? Infinity : -after);
  }
  return [out];
});

/** Embedding-style gradient: scatter-add dy rows into a zero table (ScatterND with reduction=add). */
defineGrad('Gather', (g, node, [dy], needs) => {
  if (!dy || !needs[0]) return [];
  const [data, idx] = node.inputs;
  if (normAxis(attrNum(node.attrs, 'axis', 0), data.rank) !== 0) throw new Error('Gather gradient is implemented for axis 0');
  const idx1 = g.unsqueeze(g.cast(idx, 'int64'), [idx.rank]);
  return [g.scatterND(g.zerosLike(data), idx1, dy, 'add')];
});

defineGrad('GatherElements', (g, node, [dy], needs) => {
  if (!dy || !needs[0]) return [];
  const [data, idx] = node.inputs;
  return [g.scatterElements(g.zerosLike(data), idx, dy, attrNum(node.attrs, 'axis', 0), 'add')];
});

defineGrad('Trilu', (g, node, [dy]) => [dy ? g.trilu(dy, node.attrs.upper === true, attrNum(node.attrs, 'k', 0)) : undefined]);
