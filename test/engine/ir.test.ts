import { describe, expect, it } from 'vitest';
import { AdamW, buildTrainStep, dimAdd, dimDiv, dimEq, dimMul, emitModel, grad, Graph, hostTensor, interpret, opRegistry, type Tensor } from '@aligntune/core';
import { blockParamShapes, gptBlock } from './gpt-block.js';
import { compile, maxAbsDiff, rand, rng, values } from './helpers.js';

describe('dims', () => {
  it('canonicalises monomials and sums', () => {
    expect(dimEq(dimMul('seq', 'batch'), 'batch*seq')).toBe(true);
    expect(dimDiv('batch*seq', 'seq')).toBe('batch');
    expect(dimDiv(dimMul('batch*seq', 768), 768)).toBe('batch*seq');
    expect(dimAdd('batch', 'batch')).toBe('2*batch');
    expect(dimAdd('seq', -1)).toBe(dimAdd(-1, 'seq'));
    expect(dimAdd(dimAdd('seq', -1), 1)).toBe('seq');
  });
});

describe('shape inference', () => {
  it('propagates symbolic dims and rejects mismatches', () => {
    const g = new Graph();
    const x = g.input('x', 'float32', ['batch', 'seq', 8]);
    expect(g.matmul(x, g.input('w', 'float32', [8, 3])).shape).toEqual(['batch', 'seq', 3]);
    expect(g.reshape(x, [-1, 8]).shape).toEqual(['batch*seq', 8]);
    expect(g.slice(x, 1, 0, -1).shape).toEqual(['batch', '(-1+seq)', 8]);
    expect(g.concat([x, x], 0).shape).toEqual(['2*batch', 'seq', 8]);
    expect(() => g.add(x, g.input('y', 'float32', ['seq', 'batch', 8]))).toThrow(/broadcast/);
    expect(() => g.matmul(x, g.input('w2', 'float32', [7, 3]))).toThrow(/inner dims/);
    expect(() => g.add(x, g.input('z', 'float64', [8]))).toThrow(/dtype/);
    expect(() => opRegistry.register('Add', opRegistry.require('Add'))).toThrow(/already registered/);
  });
});

describe('graph hygiene', () => {
  it('hash-conses equal subexpressions and folds constants', () => {
    const g = new Graph();
    const x = g.input('x', 'float32', [4]);
    expect(g.exp(x)).toBe(g.exp(x));
    const c = g.mul(g.add(g.scalar(2), g.scalar(3)), g.scalar(4));
    expect(Array.from(c.constValue?.data as Float32Array)).toEqual([20]);
    expect(g.mul(x, 1)).toBe(x);
    expect(g.reshape(g.reshape(x, [2, 2]), [4])).toBe(x);
  });

  it('emits dead-code-free models; a 12-layer block train step stays well under 10k nodes', () => {
    const dims = { d: 64, heads: 4, mlp: 256 };
    const g = new Graph('12-layer');
    let x: Tensor = g.input('x', 'float32', ['batch', 'seq', dims.d]);
    const params: Tensor[] = [];
    for (let l = 0; l < 12; l++) {
      const P: Record<string, Tensor> = {};
      for (const [k, s] of Object.entries(blockParamShapes(dims))) params.push((P[k] = g.input(`h${l}.${k}`, 'float32', s)));
      x = gptBlock(g, x, (n) => P[n], dims);
    }
    g.exp(x); // dead: not an output
    const loss = g.reduceMean(g.mul(x, x));
    const fwd = emitModel(g, { outputs: { loss } });
    expect(fwd.graph.node.some((n) => n.opType === 'Exp')).toBe(false);
    const step = buildTrainStep({ graph: g, loss, params, optimizer: new AdamW(), maxGradNorm: 1 });
    expect(step.model.graph.node.length).toBeLessThan(10_000);
    expect(step.model.graph.node.filter((n) => n.opType === 'Transpose').length).toBeLessThanOrEqual(12 * 8);
  });
});

describe('symbolic dims at run time', () => {
  it('one emitted graph serves several batch sizes and sequence lengths (matching the interpreter)', async () => {
    const g = new Graph();
    const x = g.input('x', 'float32', ['batch', 'seq', 6]);
    const flat = g.reshape(x, [-1, 6]);
    const back = g.reshape(g.mul(flat, flat), ['batch', 'seq', 3, 2]);
    const shifted = g.mul(g.slice(back, 1, 1), g.slice(back, 1, 0, -1));
    const n = g.dimValue('batch*seq', 'float32');
    const y = g.div(g.reduceSum(shifted, [1]), n);
    const z = g.add(g.fill(['batch', 3, 2], 1), g.expand(g.reduceMean(y, [0], true), ['batch', 3, 2]));
    const s = await compile(g, { y, z });
    const r = rng(2);
    for (const [b, t] of [
      [1, 2],
      [3, 5],
      [2, 9],
    ]) {
      const feeds = { x: rand('float32', [b, t, 6], r) };
      const o = await s.run(feeds);
      const ref = interpret(g, feeds, { y, z });
      expect(o.y.dims).toEqual([b, 3, 2]);
      expect(maxAbsDiff(values(o.y), values(ref.y))).toBeLessThan(1e-5);
      expect(maxAbsDiff(values(o.z), values(ref.z))).toBeLessThan(1e-5);
    }
    await s.dispose();
  });

  it('arange and frozen initializers', async () => {
    const g = new Graph();
    const ids = g.input('ids', 'int64', ['batch', 'seq']);
    const table = g.initializer('ref.wte', hostTensor('float32', [5, 2], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]));
    const pos = g.cast(g.arange('seq'), 'float32');
    const y = g.add(g.reduceSum(g.gather(table, ids), [2]), pos);
    const model = emitModel(g, { outputs: { y } });
    expect(model.graph.initializer?.some((t) => t.name === 'ref.wte')).toBe(true);
    const s = await compile(g, { y });
    const o = await s.run({ ids: hostTensor('int64', [1, 3], [4, 0, 2]) });
    expect(values(o.y)).toEqual([17, 2, 11]);
    await s.dispose();
  });
});

describe('emission fusions and backward structure', () => {
  const opTypes = (m: ReturnType<typeof emitModel>) => m.graph.node.map((n) => n.opType);

  it('fuses ReduceSum(x·x) into ReduceSumSquare only when the square has no other use', () => {
    const g = new Graph();
    const x = g.input('x', 'float32', ['batch', 8]);
    const y = g.input('y', 'float32', ['batch', 8]);
    const sq = g.mul(y, y);
    const m = emitModel(g, { outputs: { a: g.reduceSum(g.mul(x, x)), b: g.reduceSum(sq, [1]), c: g.exp(sq) } });
    expect(opTypes(m).filter((t) => t === 'ReduceSumSquare')).toHaveLength(1);
    expect(opTypes(m).filter((t) => t === 'ReduceSum')).toHaveLength(1);
  });

  it('takes the gradient norm with ReduceSumSquare, without squared copies of the gradients', () => {
    const dims = { d: 16, heads: 2, mlp: 32 };
    const g = new Graph('block');
    const x = g.input('x', 'float32', ['batch', 'seq', dims.d]);
    const P: Record<string, Tensor> = {};
    for (const [k, s] of Object.entries(blockParamShapes(dims))) P[k] = g.input(k, 'float32', s);
    const y = gptBlock(g, x, (n) => P[n], dims);
    const step = buildTrainStep({ graph: g, loss: g.reduceMean(g.mul(y, y)), params: Object.values(P), optimizer: new AdamW(), maxGradNorm: 1 });
    expect(step.model.graph.node.filter((n) => n.opType === 'ReduceSumSquare')).toHaveLength(Object.keys(P).length);
  });

  it('computes the attention softmax row-dot on the [.., S, dh] output, not on the [.., S, S] probabilities', () => {
    const g = new Graph();
    const q = g.input('q', 'float32', ['batch', 2, 'seq', 4]);
    const k = g.input('k', 'float32', ['batch', 2, 'seq', 4]);
    const v = g.input('v', 'float32', ['batch', 2, 'seq', 4]);
    const probs = g.softmax(g.matmul(q, k, { transB: true, alpha: 0.5 }));
    const out = g.matmul(probs, v);
    const before = g.nodes.length;
    grad(g, g.reduceSum(g.mul(out, out)), [q, k, v]);
    const backward = g.nodes.slice(before);
    const onProbs = (t: Tensor) => t.shape.length === 4 && dimEq(t.shape[3], 'seq') && dimEq(t.shape[2], 'seq');
    expect(backward.filter((n) => n.op.startsWith('Reduce') && onProbs(n.inputs[0]))).toEqual([]);
    // Two elementwise passes over the probabilities' shape remain: dy − rowdot and y·(…).
    expect(backward.filter((n) => ['Mul', 'Sub', 'Add', 'Where'].includes(n.op) && onProbs(n.outputs[0])).map((n) => n.op).sort()).toEqual(['Mul', 'Sub']);
  });
});
