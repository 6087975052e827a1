import { afterAll, describe, expect, it } from 'vitest';
import {
  AdamW,
  buildAccumulateStep,
  buildApplyStep,
  buildLoopTrainStep,
  buildTrainStep,
  Graph,
  hostTensor,
  learningRate,
  Sgd,
  TrainSession,
  type DType,
  type GraphOptimizer,
  type HostTensor,
} from '@aligntune/core';
import { backend, maxAbsDiff, randn, rng, values } from './helpers.js';

const IN = 3;
const OUT = 4;

/** Linear regression: loss = mean((x·W + b − y)²). */
function linearSpec(dtype: DType, optimizer: GraphOptimizer, maxGradNorm?: number) {
  const g = new Graph('linear');
  const W = g.input('W', dtype, [IN, OUT]);
  const b = g.input('b', dtype, [OUT]);
  const x = g.input('x', dtype, ['batch', IN]);
  const y = g.input('y', dtype, ['batch', OUT]);
  const d = g.sub(g.add(g.matmul(x, W), b), y);
  return { graph: g, loss: g.reduceMean(g.mul(d, d)), params: [W, b], optimizer, maxGradNorm };
}

interface Ref {
  W: number[];
  b: number[];
}

/** Independent float64 gradient of the linear loss. */
function refGrad(p: Ref, x: number[], y: number[], n: number): { W: number[]; b: number[]; loss: number } {
  const gW = new Array(IN * OUT).fill(0);
  const gb = new Array(OUT).fill(0);
  let loss = 0;
  for (let r = 0; r < n; r++)
    for (let o = 0; o < OUT; o++) {
      let pred = p.b[o];
      for (let i = 0; i < IN; i++) pred += x[r * IN + i] * p.W[i * OUT + o];
      const e = pred - y[r * OUT + o];
      loss += (e * e) / (n * OUT);
      const dp = (2 * e) / (n * OUT);
      gb[o] += dp;
      for (let i = 0; i < IN; i++) gW[i * OUT + o] += x[r * IN + i] * dp;
    }
  return { W: gW, b: gb, loss };
}

function refClip(gr: { W: number[]; b: number[] }, maxNorm: number | undefined): number {
  const norm = Math.sqrt([...gr.W, ...gr.b].reduce((a, v) => a + v * v, 0));
  if (maxNorm) {
    const c = Math.min(maxNorm / (norm + 1e-6), 1);
    gr.W = gr.W.map((v) => v * c);
    gr.b = gr.b.map((v) => v * c);
  }
  return norm;
}

/** torch.optim.AdamW, written out per element. */
function refAdamW(p: number[], g: number[], m: number[], v: number[], t: number, lr: number, [b1, b2]: number[], eps: number, wd: number): void {
  for (let i = 0; i < p.length; i++) {
    p[i] *= 1 - lr * wd;
    m[i] = b1 * m[i] + (1 - b1) * g[i];
    v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
    const mhat = m[i] / (1 - b1 ** t);
    const denom = Math.sqrt(v[i]) / Math.sqrt(1 - b2 ** t) + eps;
    p[i] -= (lr / (1 - b1 ** t)) * (m[i] / denom) * 1;
    void mhat;
  }
}

/** torch.optim.SGD, written out per element. */
function refSgd(p: number[], g: number[], buf: number[], t: number, lr: number, mom: number, damp: number, wd: number, nesterov: boolean): void {
  for (let i = 0; i < p.length; i++) {
    let d = g[i] + wd * p[i];
    if (mom) {
      buf[i] = t === 1 ? d : mom * buf[i] + (1 - damp) * d;
      d = nesterov ? d + mom * buf[i] : buf[i];
    }
    p[i] -= lr * d;
  }
}

function data(seed: number, n: number) {
  const r = rng(seed);
  return { x: randn(r, n * IN), y: randn(r, n * OUT), W: randn(r, IN * OUT, 0.5), b: randn(r, OUT, 0.5) };
}

const feed = (dtype: DType, n: number, d: { x: number[]; y: number[] }): Record<string, HostTensor> => ({
  x: hostTensor(dtype, [n, IN], d.x),
  y: hostTensor(dtype, [n, OUT], d.y),
});

const sessions: TrainSession[] = [];
async function session(programs: Parameters<typeof TrainSession.create>[1], dtype: DType, d: { W: number[]; b: number[] }) {
  const s = await TrainSession.create(backend(), programs, { W: hostTensor(dtype, [IN, OUT], d.W), b: hostTensor(dtype, [OUT], d.b) });
  sessions.push(s);
  return s;
}
afterAll(async () => {
  for (const s of sessions) await s.dispose();
});

const LRS = [0.05, 0.1, 0.02, 0.07, 0.03, 0.09];

describe('AdamW / SGD / clipping in one fused train-step run', () => {
  for (const dtype of ['float64', 'float32'] as const) {
    for (const clip of [undefined, 0.3]) {
      it(`AdamW matches a hand-written torch reference (${dtype}, max_grad_norm=${clip})`, async () => {
        const n = 5;
        const d = data(11, n);
        const opts = { betas: [0.8, 0.95] as [number, number], eps: 1e-6, weightDecay: 0.1 };
        const s = await session({ trainStep: buildTrainStep(linearSpec(dtype, new AdamW(opts), clip)) }, dtype, d);
        const ref: Ref = { W: [...d.W], b: [...d.b] };
        const m = { W: new Array(IN * OUT).fill(0), b: new Array(OUT).fill(0) };
        const v = { W: new Array(IN * OUT).fill(0), b: new Array(OUT).fill(0) };
        for (let t = 1; t <= LRS.length; t++) {
          const res = await s.step(feed(dtype, n, d), LRS[t - 1]);
          const gr = refGrad(ref, d.x, d.y, n);
          const norm = refClip(gr, clip);
          for (const k of ['W', 'b'] as const) refAdamW(ref[k], gr[k], m[k], v[k], t, LRS[t - 1], opts.betas, opts.eps, opts.weightDecay);
          const tol = dtype === 'float64' ? 1e-12 : 2e-5;
          expect(Math.abs(res.loss - gr.loss)).toBeLessThan(tol * 10);
          expect(Math.abs(res.gradNorm - norm) / norm).toBeLessThan(tol * 10);
        }
        const tol = dtype === 'float64' ? 1e-12 : 1e-5;
        expect(maxAbsDiff(values(s.params.W), ref.W)).toBeLessThan(tol);
        expect(maxAbsDiff(values(s.params.b), ref.b)).toBeLessThan(tol);
        const st = s.store.exportState().tensors;
        expect(maxAbsDiff(values(st['W::exp_avg']), m.W)).toBeLessThan(tol);
        expect(maxAbsDiff(values(st['b::exp_avg_sq']), v.b)).toBeLessThan(tol);
      });
    }
  }

  for (const [mom, damp, nesterov] of [
    [0, 0, false],
    [0.9, 0.1, false],
    [0.9, 0, true],
  ] as const) {
    it(`SGD (momentum=${mom}, dampening=${damp}, nesterov=${nesterov}, wd=0.01, clip 0.5) matches torch`, async () => {
      const n = 4;
      const d = data(5, n);
      const s = await session({ trainStep: buildTrainStep(linearSpec('float64', new Sgd({ momentum: mom, dampening: damp, nesterov, weightDecay: 0.01 }), 0.5)) }, 'float64', d);
      const ref: Ref = { W: [...d.W], b: [...d.b] };
      const buf = { W: new Array(IN * OUT).fill(0), b: new Array(OUT).fill(0) };
      for (let t = 1; t <= LRS.length; t++) {
        await s.step(feed('float64', n, d), LRS[t - 1]);
        const gr = refGrad(ref, d.x, d.y, n);
        refClip(gr, 0.5);
        for (const k of ['W', 'b'] as const) refSgd(ref[k], gr[k], buf[k], t, LRS[t - 1], mom, damp, 0.01, nesterov);
      }
      expect(maxAbsDiff(values(s.params.W), ref.W)).toBeLessThan(1e-12);
      expect(maxAbsDiff(values(s.params.b), ref.b)).toBeLessThan(1e-12);
    });
  }

  it('optimizer state export/import resumes exactly', async () => {
    const n = 4;
    const d = data(3, n);
    const mk = () => buildTrainStep(linearSpec('float32', new AdamW(), 1));
    const a = await session({ trainStep: mk() }, 'float32', d);
    for (const lr of LRS) await a.step(feed('float32', n, d), lr);
    const b = await session({ trainStep: mk() }, 'float32', d);
    for (const lr of LRS.slice(0, 3)) await b.step(feed('float32', n, d), lr);
    const snap = b.store.exportState();
    const params = b.params;
    const c = await TrainSession.create(backend(), { trainStep: mk() }, params);
    sessions.push(c);
    c.store.importState(snap);
    for (const lr of LRS.slice(3)) await c.step(feed('float32', n, d), lr);
    expect(values(c.params.W)).toEqual(values(a.params.W));
    expect(c.store.step).toBe(LRS.length);
  });
});

describe('gradient accumulation and Loop fusion', () => {
  it('2 micro-batches of 4 == 1 batch of 8 (within 1e-5)', async () => {
    const d = data(21, 8);
    const full = await session({ trainStep: buildTrainStep(linearSpec('float32', new AdamW(), 1)) }, 'float32', d);
    const spec = linearSpec('float32', new AdamW(), 1);
    const acc = await session({ accumulate: buildAccumulateStep(spec), apply: buildApplyStep(spec) }, 'float32', d);
    const half = (k: number) => ({ x: d.x.slice(k * 4 * IN, (k + 1) * 4 * IN), y: d.y.slice(k * 4 * OUT, (k + 1) * 4 * OUT) });
    for (const lr of LRS) {
      const r = await full.step(feed('float32', 8, d), lr);
      await acc.accumulate(feed('float32', 4, half(0)), 0.5);
      await acc.accumulate(feed('float32', 4, half(1)), 0.5);
      const norm = await acc.applyAccumulated(lr);
      expect(Math.abs(norm - r.gradNorm)).toBeLessThan(1e-5);
    }
    expect(maxAbsDiff(values(acc.params.W), values(full.params.W))).toBeLessThan(1e-5);
    expect(maxAbsDiff(values(acc.params.b), values(full.params.b))).toBeLessThan(1e-5);
  });

  it('a Loop of K steps in one run == K single-step runs', async () => {
    const n = 3;
    const K = 5;
    const d = data(9, n * K);
    const single = await session({ trainStep: buildTrainStep(linearSpec('float32', new AdamW({ weightDecay: 0.05 }), 0.7)) }, 'float32', d);
    const looped = await session({ loop: buildLoopTrainStep(linearSpec('float32', new AdamW({ weightDecay: 0.05 }), 0.7)) }, 'float32', d);
    const lrs = LRS.slice(0, K);
    const singles = [];
    for (let k = 0; k < K; k++) {
      const part = { x: d.x.slice(k * n * IN, (k + 1) * n * IN), y: d.y.slice(k * n * OUT, (k + 1) * n * OUT) };
      singles.push(await single.step(feed('float32', n, part), lrs[k]));
    }
    const res = await looped.steps({ x: hostTensor('float32', [K, n, IN], d.x), y: hostTensor('float32', [K, n, OUT], d.y) }, lrs);
    expect(res.map((r) => r.loss)).toEqual(singles.map((r) => r.loss));
    expect(values(looped.params.W)).toEqual(values(single.params.W));
    expect(values(looped.store.state.get('b::exp_avg_sq') as HostTensor)).toEqual(values(single.store.state.get('b::exp_avg_sq') as HostTensor));
    expect(looped.store.step).toBe(K);
  });
});

describe('learning-rate schedules (HF get_*_schedule_with_warmup)', () => {
  const base = { baseLr: 2, warmupSteps: 10, totalSteps: 110 };
  it('warmup, linear decay, cosine, constant', () => {
    expect(learningRate({ ...base, kind: 'linear' }, 0)).toBe(0);
    expect(learningRate({ ...base, kind: 'linear' }, 5)).toBe(1);
    expect(learningRate({ ...base, kind: 'linear' }, 60)).toBeCloseTo(1, 12);
    expect(learningRate({ ...base, kind: 'linear' }, 110)).toBe(0);
    expect(learningRate({ ...base, kind: 'cosine' }, 60)).toBeCloseTo(1, 12);
    expect(learningRate({ ...base, kind: 'cosine' }, 35)).toBeCloseTo(1 + Math.SQRT1_2, 12);
    expect(learningRate({ ...base, kind: 'constant_with_warmup' }, 3)).toBeCloseTo(0.6, 12);
    expect(learningRate({ ...base, kind: 'constant' }, 3)).toBe(2);
  });
});
