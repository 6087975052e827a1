import { describe, expect, it } from 'vitest';
import { AdamW, buildTrainStep, Graph, inPlaceOutputs, OnnxDataType, type OnnxNode } from '@aligntune/core';
import { model, vi } from './backend-conformance.js';

/** out = (x·W1)·W2 against y (MSE), AdamW, clipped to `maxGradNorm` or not. */
function twoLayerStep(maxGradNorm: number | null) {
  const g = new Graph('two-layer');
  const W1 = g.input('W1', 'float32', [3, 4]);
  const W2 = g.input('W2', 'float32', [4, 2]);
  const x = g.input('x', 'float32', ['batch', 3]);
  const y = g.input('y', 'float32', ['batch', 2]);
  const d = g.sub(g.matmul(g.matmul(x, W1), W2), y);
  return buildTrainStep({ graph: g, loss: g.reduceMean(g.mul(d, d)), params: [W1, W2], optimizer: new AdamW(), maxGradNorm });
}

/** Every param and AdamW moment, as `<name>::next` → `<name>`. */
const updatePairs = (names: string[]) => new Map(names.flatMap((p) => [p, `${p}::exp_avg`, `${p}::exp_avg_sq`]).map((n) => [`${n}::next`, n]));

const f = (name: string) => vi(name, OnnxDataType.FLOAT, ['n']);
const graphOf = (node: OnnxNode[]) => model('g', node, [f('a'), f('b')], [f('c'), ...node.slice(1).flatMap((n) => n.output.map(f))]).graph;

describe('inPlaceOutputs: which step outputs may overwrite their input', () => {
  it('proves every param and moment of a clipped AdamW step: the global norm makes each update wait for every gradient', () => {
    const step = twoLayerStep(1);
    const pairs = updatePairs(['W1', 'W2']);
    expect([...inPlaceOutputs(step.model.graph, pairs)].sort()).toEqual([...pairs.keys()].sort());
  });

  it('without clipping, keeps W2 apart: dh = dout·W2ᵀ still reads it and is no ancestor of W2 update', () => {
    const proven = inPlaceOutputs(twoLayerStep(null).model.graph, updatePairs(['W1', 'W2']));
    expect(proven.has('W2::next')).toBe(false);
    expect(proven.has('W1::next')).toBe(true);
    expect(proven.has('W2::exp_avg::next')).toBe(true);
    expect(proven.has('W2::exp_avg_sq::next')).toBe(true);
  });

  it('refuses when another node reads the input and may run after the write', () => {
    const graph = graphOf([
      { opType: 'Add', input: ['a', 'b'], output: ['c'] },
      { opType: 'Mul', input: ['a', 'b'], output: ['d'] },
    ]);
    expect(inPlaceOutputs(graph, new Map([['c', 'a']])).size).toBe(0);
  });

  it('follows views: a reader of Reshape(a) reads a', () => {
    const graph = graphOf([
      { opType: 'Add', input: ['a', 'b'], output: ['c'] },
      { opType: 'Reshape', input: ['a', 'shape'], output: ['r'] },
      { opType: 'Neg', input: ['r'], output: ['e'] },
    ]);
    expect(inPlaceOutputs(graph, new Map([['c', 'a']])).size).toBe(0);
  });

  it('refuses a writer that is not elementwise over the input, and two outputs into one input', () => {
    const matmul = graphOf([{ opType: 'MatMul', input: ['a', 'b'], output: ['c'] }]);
    expect(inPlaceOutputs(matmul, new Map([['c', 'a']])).size).toBe(0);
    const twice = graphOf([
      { opType: 'Add', input: ['a', 'b'], output: ['c'] },
      { opType: 'Sub', input: ['a', 'b'], output: ['d'] },
    ]);
    expect(inPlaceOutputs(twice, new Map([['c', 'a'], ['d', 'a']])).size).toBe(0);
    expect([...inPlaceOutputs(graphOf([{ opType: 'Add', input: ['a', 'b'], output: ['c'] }]), new Map([['c', 'a']]))]).toEqual(['c']);
  });
});
