import { afterAll, describe, expect, it } from 'vitest';
import { AdamW, buildTrainStep, emitModel, Graph, hostTensor, TrainSession, type HostTensor, type Tensor } from '@aligntune/core';
import { blockParamShapes, gptBlock, initParams, type BlockDims } from './gpt-block.js';
import { backend, randn, rng } from './helpers.js';

const sessions: TrainSession[] = [];
afterAll(async () => {
  for (const s of sessions) await s.dispose();
});

async function train(s: TrainSession, batch: Record<string, HostTensor>, lr: number, maxSteps: number): Promise<{ first: number; last: number; steps: number }> {
  let first = NaN;
  let last = NaN;
  let steps = 0;
  while (steps < maxSteps) {
    last = (await s.step(batch, lr)).loss;
    if (steps++ === 0) first = last;
    if (last < 1e-3) break;
  }
  return { first, last, steps };
}

describe('overfitting with one-run train steps', () => {
  it('an MLP regresses random targets to loss < 1e-3', async () => {
    const g = new Graph('mlp');
    const shapes: Record<string, number[]> = { w1: [6, 32], b1: [32], w2: [32, 32], b2: [32], w3: [32, 3], b3: [3] };
    const P = Object.fromEntries(Object.entries(shapes).map(([k, dims]) => [k, g.input(k, 'float32', dims)])) as Record<string, Tensor>;
    const x = g.input('x', 'float32', ['batch', 6]);
    const y = g.input('y', 'float32', ['batch', 3]);
    const h1 = g.tanh(g.add(g.matmul(x, P.w1), P.b1));
    const h2 = g.gelu(g.add(g.matmul(h1, P.w2), P.b2));
    const d = g.sub(g.add(g.matmul(h2, P.w3), P.b3), y);
    const loss = g.reduceMean(g.mul(d, d));
    const program = buildTrainStep({ graph: g, loss, params: Object.values(P), optimizer: new AdamW({ weightDecay: 0 }), maxGradNorm: 1 });
    const r = rng(3);
    const init = Object.fromEntries(Object.entries(shapes).map(([k, dims]) => [k, hostTensor('float32', dims, randn(r, dims.reduce((a, b) => a * b, 1), 0.4))]));
    const s = await TrainSession.create(backend(), { trainStep: program }, init);
    sessions.push(s);
    const batch = { x: hostTensor('float32', [8, 6], randn(r, 48)), y: hostTensor('float32', [8, 3], randn(r, 24)) };
    const res = await train(s, batch, 1e-2, 2000);
    expect(res.first).toBeGreaterThan(0.1);
    expect(res.last).toBeLessThan(1e-3);
  });

  it('a 2-layer GPT-2 transformer memorises token sequences to loss < 1e-3', async () => {
    const dims: BlockDims = { d: 32, heads: 4, mlp: 128 };
    const V = 13;
    const S = 8;
    const g = new Graph('tiny-gpt');
    const shapes: Record<string, number[]> = { wte: [V, dims.d], wpe: [S, dims.d], lnf_w: [dims.d], lnf_b: [dims.d] };
    for (const l of [0, 1]) for (const [k, v] of Object.entries(blockParamShapes(dims))) shapes[`h${l}.${k}`] = v;
    const P = Object.fromEntries(Object.entries(shapes).map(([k, d]) => [k, g.input(k, 'float32', d)])) as Record<string, Tensor>;
    const ids = g.input('input_ids', 'int64', ['batch', 'seq']);
    const labels = g.input('labels', 'int64', ['batch', 'seq']);
    const mask = g.input('loss_mask', 'float32', ['batch', 'seq']);
    let x = g.add(g.gather(P.wte, ids), g.gather(P.wpe, g.arange('seq')));
    for (const l of [0, 1]) x = gptBlock(g, x, (n) => P[`h${l}.${n}`], dims);
    const logits = g.matmul(g.layerNorm(x, P.lnf_w, P.lnf_b), P.wte, { transB: true });
    const lp = g.squeeze(g.gatherElements(g.logSoftmax(logits), g.unsqueeze(labels, [2]), 2), [2]);
    const loss = g.div(g.neg(g.reduceSum(g.mul(lp, mask))), g.reduceSum(mask));
    const program = buildTrainStep({ graph: g, loss, params: Object.values(P), optimizer: new AdamW({ weightDecay: 0 }), maxGradNorm: 1 });
    const nodes = emitModel(g, { outputs: { loss } }).graph.node.length;
    expect(nodes).toBeLessThan(400);
    expect(program.model.graph.node.length).toBeLessThan(1500);
    const init = initParams(shapes, 5);
    const s = await TrainSession.create(backend(), { trainStep: program }, init);
    sessions.push(s);
    const r = rng(8);
    const B = 3;
    const tok = Array.from({ length: B * S }, () => Math.floor(r() * V));
    // Right padding: row b has S − b real tokens; padded positions carry no loss.
    const m = Array.from({ length: B * S }, (_, i) => (i % S < S - Math.floor(i / S) ? 1 : 0));
    const batch = {
      input_ids: hostTensor('int64', [B, S], tok),
      labels: hostTensor('int64', [B, S], tok.map((t, i) => (m[i] ? (t * 7 + 3) % V : 0))),
      loss_mask: hostTensor('float32', [B, S], m),
    };
    const res = await train(s, batch, 3e-3, 1500);
    expect(res.first).toBeGreaterThan(1);
    expect(res.last).toBeLessThan(1e-3);
  });
});
