import { describe, expect, it } from 'vitest';
import { grad, gradRegistry, Graph, hostTensor, interpret, type DType, type HostTensor, type Tensor } from '@aligntune/core';
import { gatedOn } from '../../core/src/engine/autodiff/recompute.js';
import { gradCheck, rand, rng } from './helpers.js';

type Build = (g: Graph) => { out: Tensor; wrt: Tensor[] };
interface Case {
  name: string;
  /** Gradient rules this case exercises. */
  ops: string[];
  dtype?: DType;
  feeds: (r: () => number, d: DType) => Record<string, HostTensor>;
  build: (d: DType) => Build;
}

const B = 2;
const S = 3;
const f = (d: DType, dims: number[]) => (r: () => number) => rand(d, dims, r);
const ids = (dims: number[], vocab: number, r: () => number) =>
  hostTensor('int64', dims, Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => Math.floor(r() * vocab)));
/** A right-padded mask over [B, S]: row b keeps its first S − b tokens. */
const padMask = () => hostTensor('bool', [B, S], Array.from({ length: B * S }, (_, i) => (i % S < S - Math.floor(i / S) ? 1 : 0)));

function unaryCase(name: string, op: string, fn: (g: Graph, x: Tensor) => Tensor, dtype: DType = 'float64', extraOps: string[] = []): Case {
  return {
    name,
    ops: [op, ...extraOps],
    dtype,
    feeds: (r, d) => ({ x: f(d, [B, S, 4])(r) }),
    build: (d) => (g) => {
      const x = g.input('x', d, ['batch', 'seq', 4]);
      return { out: fn(g, x), wrt: [x] };
    },
  };
}

function binaryCase(name: string, op: string, aDims: (number | string)[], bDims: (number | string)[], fn: (g: Graph, a: Tensor, b: Tensor) => Tensor, extraOps: string[] = []): Case {
  const conc = (dims: (number | string)[]) => dims.map((x) => (x === 'batch' ? B : x === 'seq' ? S : (x as number)));
  return {
    name,
    ops: [op, ...extraOps],
    feeds: (r, d) => ({ a: f(d, conc(aDims))(r), b: f(d, conc(bDims))(r) }),
    build: (d) => (g) => {
      const a = g.input('a', d, aDims);
      const b = g.input('b', d, bDims);
      return { out: fn(g, a, b), wrt: [a, b] };
    },
  };
}

const pos = (g: Graph, x: Tensor) => g.add(g.mul(x, x), 0.5);

const CASES: Case[] = [
  binaryCase('add broadcast [b,s,4]+[4]', 'Add', ['batch', 'seq', 4], [4], (g, a, b) => g.add(a, b)),
  binaryCase('sub broadcast [b,1,4]-[seq,1]', 'Sub', ['batch', 1, 4], ['seq', 1], (g, a, b) => g.sub(a, b)),
  binaryCase('mul broadcast [b,s,4]*[s,1]', 'Mul', ['batch', 'seq', 4], ['seq', 1], (g, a, b) => g.mul(a, b)),
  binaryCase('div broadcast', 'Div', ['batch', 'seq', 4], [1, 4], (g, a, b) => g.div(a, pos(g, b))),
  binaryCase('pow', 'Pow', ['batch', 'seq', 4], [4], (g, a, b) => g.pow(pos(g, a), b)),
  binaryCase('max', 'Max', ['batch', 'seq', 4], ['seq', 4], (g, a, b) => g.max(a, b)),
  binaryCase('min', 'Min', ['batch', 'seq', 4], [4], (g, a, b) => g.min(a, b)),
  unaryCase('neg', 'Neg', (g, x) => g.neg(x)),
  unaryCase('abs', 'Abs', (g, x) => g.abs(x)),
  unaryCase('sqrt', 'Sqrt', (g, x) => g.sqrt(pos(g, x))),
  unaryCase('reciprocal', 'Reciprocal', (g, x) => g.reciprocal(pos(g, x))),
  unaryCase('exp', 'Exp', (g, x) => g.exp(x)),
  unaryCase('log', 'Log', (g, x) => g.log(pos(g, x))),
  unaryCase('tanh', 'Tanh', (g, x) => g.tanh(x)),
  unaryCase('sigmoid', 'Sigmoid', (g, x) => g.sigmoid(x)),
  unaryCase('relu', 'Relu', (g, x) => g.relu(x)),
  unaryCase('softplus / logsigmoid', 'Softplus', (g, x) => g.logSigmoid(g.mul(x, 3))),
  unaryCase('sin', 'Sin', (g, x) => g.sin(x)),
  unaryCase('cos', 'Cos', (g, x) => g.cos(x)),
  unaryCase('gelu (tanh), float64 decomposition', 'Gelu', (g, x) => g.gelu(g.mul(x, 2))),
  unaryCase('gelu (tanh), ORT Gelu kernel float32', 'Gelu', (g, x) => g.gelu(g.mul(x, 2)), 'float32'),
  unaryCase('identity', 'Identity', (g, x) => g.mul(g.identity(x), x)),
  unaryCase('clip', 'Clip', (g, x) => g.clip(x, -0.5, 0.7)),
  unaryCase('cast f32→f64→f32', 'Cast', (g, x) => g.cast(g.exp(g.cast(x, 'float64')), 'float32'), 'float32'),
  unaryCase('softmax last axis', 'Softmax', (g, x) => g.softmax(x, -1)),
  unaryCase('softmax axis 1', 'Softmax', (g, x) => g.softmax(x, 1)),
  unaryCase('log-softmax', 'LogSoftmax', (g, x) => g.logSoftmax(x, -1)),
  unaryCase('reduce-sum keepdims', 'ReduceSum', (g, x) => g.mul(g.reduceSum(x, [1], true), x)),
  unaryCase('reduce-sum over symbolic dims', 'ReduceSum', (g, x) => g.reduceSum(g.mul(x, x), [0, 1])),
  unaryCase('reduce-mean over symbolic dims', 'ReduceMean', (g, x) => g.mul(g.reduceMean(x, [0, 1], true), x)),
  unaryCase('reduce-max', 'ReduceMax', (g, x) => g.reduceMax(x, [2])),
  unaryCase('reduce-min', 'ReduceMin', (g, x) => g.reduceMin(x, [1], true)),
  unaryCase('reshape [b,s,4]→[-1,2]', 'Reshape', (g, x) => g.mul(g.reshape(x, [-1, 2]), g.const([1, -2], 'float64'))),
  unaryCase('reshape [b,s,4]→[b*s*2, 2]→[b,s,2,2]', 'Reshape', (g, x) => g.reshape(g.exp(g.reshape(x, [-1, 2])), ['batch', 'seq', 2, 2])),
  unaryCase('transpose', 'Transpose', (g, x) => g.mul(g.transpose(x, [2, 0, 1]), g.const([1, 2, 3, 4], 'float64', [4, 1, 1]))),
  unaryCase('slice seq[:-1] · seq[1:]', 'Slice', (g, x) => g.mul(g.slice(x, 1, 0, -1), g.slice(x, 1, 1))),
  unaryCase('slice static axis', 'Slice', (g, x) => g.exp(g.slice(x, 2, 1, 3))),
  unaryCase('concat on symbolic axis', 'Concat', (g, x) => g.concat([x, g.exp(x)], 0), 'float64', ['Split']),
  unaryCase('split', 'Split', (g, x) => {
    const [a, b] = g.split(x, 2, [1, 3]);
    return g.mul(g.reduceSum(a, [2], true), b);
  }, 'float64', ['Concat']),
  unaryCase('unsqueeze/squeeze', 'Unsqueeze', (g, x) => g.squeeze(g.exp(g.unsqueeze(x, [1])), [1]), 'float64', ['Squeeze']),
  unaryCase('expand', 'Expand', (g, x) => g.expand(g.reduceSum(x, [2], true), ['batch', 'seq', 4])),
  // the gate passes its value and its gradient through unchanged (a Reshape to its own shape in onnxruntime)
  unaryCase('gate (gatedOn)', 'Gate', (g, x) => g.mul(gatedOn(g, g.exp(x), g.neg(x)), x)),
  unaryCase('pad', 'Pad', (g, x) => g.pad(g.exp(x), [0, 0, 1, 0, 0, 2])),
  unaryCase('trilu (causal)', 'Trilu', (g, x) => g.trilu(g.mul(g.reshape(x, ['batch', 'seq', 2, 2]), 3), false)),
  {
    name: 'where with padding mask',
    ops: ['Where'],
    feeds: (r, d) => ({ a: f(d, [B, S, 4])(r), b: f(d, [B, 1, 4])(r), mask: padMask() }),
    build: (d) => (g) => {
      const a = g.input('a', d, ['batch', 'seq', 4]);
      const b = g.input('b', d, ['batch', 1, 4]);
      const m = g.unsqueeze(g.input('mask', 'bool', ['batch', 'seq']), [2]);
      return { out: g.where(m, a, b), wrt: [a, b] };
    },
  },
  ...matmulCases(),
  {
    name: 'layer norm',
    ops: ['LayerNorm'],
    feeds: (r, d) => ({ x: f(d, [B, S, 6])(r), w: f(d, [6])(r), b: f(d, [6])(r) }),
    build: (d) => (g) => {
      const x = g.input('x', d, ['batch', 'seq', 6]);
      const w = g.input('w', d, [6]);
      const b = g.input('b', d, [6]);
      return { out: g.layerNorm(x, w, b, 1e-5), wrt: [x, w, b] };
    },
  },
  {
    name: 'layer norm (ORT LayerNormalization kernel, saved mean/inv-std)',
    ops: ['LayerNorm'],
    dtype: 'float32',
    feeds: (r, d) => ({ x: f(d, [B, S, 6])(r), w: f(d, [6])(r), b: f(d, [6])(r) }),
    build: (d) => (g) => {
      const x = g.input('x', d, ['batch', 'seq', 6]);
      const w = g.input('w', d, [6]);
      const b = g.input('b', d, [6]);
      return { out: g.layerNorm(x, w, b, 1e-5), wrt: [x, w, b] };
    },
  },
  {
    name: 'rms norm',
    ops: ['RMSNorm'],
    feeds: (r, d) => ({ x: f(d, [B, S, 6])(r), w: f(d, [6])(r) }),
    build: (d) => (g) => {
      const x = g.input('x', d, ['batch', 'seq', 6]);
      const w = g.input('w', d, [6]);
      return { out: g.rmsNorm(x, w, 1e-6), wrt: [x, w] };
    },
  },
  {
    name: 'embedding gather with repeated ids',
    ops: ['Gather'],
    feeds: (r, d) => ({ table: f(d, [5, 4])(r), ids: hostTensor('int64', [B, S], [0, 3, 3, 1, 0, 4]) }),
    build: (d) => (g) => {
      const table = g.input('table', d, [5, 4]);
      const i = g.input('ids', 'int64', ['batch', 'seq']);
      return { out: g.tanh(g.gather(table, i)), wrt: [table] };
    },
  },
  {
    name: 'tied embedding: one table gathered and multiplied (the LM head)',
    ops: ['Gather', 'MatMul'],
    feeds: (r, d) => ({ table: f(d, [5, 4])(r), ids: hostTensor('int64', [B, S], [0, 3, 3, 1, 0, 4]) }),
    build: (d) => (g) => {
      const table = g.input('table', d, [5, 4]);
      const i = g.input('ids', 'int64', ['batch', 'seq']);
      return { out: g.tanh(g.matmul(g.tanh(g.gather(table, i)), table, { transB: true })), wrt: [table] };
    },
  },
  {
    name: 'token log-probs (gather-elements) with padding mask',
    ops: ['GatherElements', 'LogSoftmax', 'Where', 'ReduceSum'],
    feeds: (r, d) => ({ logits: f(d, [B, S, 7])(r), labels: ids([B, S], 7, r), mask: padMask() }),
    build: (d) => (g) => {
      const logits = g.input('logits', d, ['batch', 'seq', 7]);
      const labels = g.input('labels', 'int64', ['batch', 'seq']);
      const mask = g.input('mask', 'bool', ['batch', 'seq']);
      const lp = g.squeeze(g.gatherElements(g.logSoftmax(logits), g.unsqueeze(labels, [2]), 2), [2]);
      return { out: g.reduceSum(g.where(mask, lp, 0), [1]), wrt: [logits] };
    },
  },
  {
    name: 'causal attention (float32, FusedMatMul)',
    ops: ['MatMul', 'Softmax', 'Where', 'Transpose', 'Reshape'],
    dtype: 'float32',
    feeds: (r, d) => ({ x: rand(d, [B, S, 8], r, 0.5), wqkv: rand(d, [8, 24], r, 0.3) }),
    build: (d) => (g) => attention(g, d),
  },
  {
    name: 'causal attention (float64)',
    ops: ['MatMul', 'Softmax', 'Where', 'Transpose', 'Reshape', 'Split'],
    feeds: (r, d) => ({ x: rand(d, [B, S, 8], r, 0.5), wqkv: rand(d, [8, 24], r, 0.3) }),
    build: (d) => (g) => attention(g, d),
  },
  {
    name: 'causal attention, additive [S,S] mask bias (float64)',
    ops: ['MatMul', 'Softmax', 'Add', 'Where', 'Transpose', 'Reshape', 'Split'],
    feeds: (r, d) => ({ x: rand(d, [B, S, 8], r, 0.5), wqkv: rand(d, [8, 24], r, 0.3) }),
    build: (d) => (g) => attention(g, d, 'bias'),
  },
  {
    name: 'causal attention, additive [S,S] mask bias (float32)',
    ops: ['MatMul', 'Softmax', 'Add', 'Where'],
    dtype: 'float32',
    feeds: (r, d) => ({ x: rand(d, [B, S, 8], r, 0.5), wqkv: rand(d, [8, 24], r, 0.3) }),
    build: (d) => (g) => attention(g, d, 'bias'),
  },
  {
    // The probabilities also feed a second consumer, so the attention row-dot shortcut must not apply.
    name: 'softmax feeding a matmul and a second consumer',
    ops: ['Softmax', 'MatMul', 'ReduceSum', 'Mul', 'Add'],
    feeds: (r, d) => ({ s: f(d, [B, 2, S, S])(r), v: f(d, [B, 2, S, 4])(r) }),
    build: (d) => (g) => {
      const s = g.input('s', d, ['batch', 2, 'seq', 'seq']);
      const v = g.input('v', d, ['batch', 2, 'seq', 4]);
      const y = g.softmax(s);
      return { out: g.add(g.matmul(y, v), g.reduceSum(g.mul(y, y), [3], true)), wrt: [s, v] };
    },
  },
  {
    // y broadcasts over the heads of v, so dy arrives through a ReduceSum: the shortcut must not apply.
    name: 'softmax probabilities broadcast against a batched matmul',
    ops: ['Softmax', 'MatMul'],
    feeds: (r, d) => ({ s: f(d, [B, 1, S, S])(r), v: f(d, [B, 2, S, 4])(r) }),
    build: (d) => (g) => {
      const s = g.input('s', d, ['batch', 1, 'seq', 'seq']);
      const v = g.input('v', d, ['batch', 2, 'seq', 4]);
      return { out: g.matmul(g.softmax(s), v), wrt: [s, v] };
    },
  },
  linearCase('float64'),
  linearCase('float32'),
  unaryCase('gelu (tanh), large |x|, float64', 'Gelu', (g, x) => g.gelu(g.mul(x, 6))),
];

/** A Linear layer: batched matmul plus a broadcast bias. */
function linearCase(dtype: DType): Case {
  return {
    name: 'linear: [b,s,4]·W[4,5] + bias[5]',
    ops: ['MatMul', 'Add'],
    dtype,
    feeds: (r, d) => ({ x: f(d, [B, S, 4])(r), w: f(d, [4, 5])(r), b: f(d, [5])(r) }),
    build: (d) => (g) => {
      const x = g.input('x', d, ['batch', 'seq', 4]);
      const w = g.input('w', d, [4, 5]);
      const b = g.input('b', d, [5]);
      return { out: g.tanh(g.add(g.matmul(x, w), b)), wrt: [x, w, b] };
    },
  };
}

/** Two-head causal self-attention with a fused QKV weight. */
function attention(g: Graph, d: DType, mask: 'where' | 'bias' = 'where'): { out: Tensor; wrt: Tensor[] } {
  const x = g.input('x', d, ['batch', 'seq', 8]);
  const w = g.input('wqkv', d, [8, 24]);
  const [q, k, v] = g.split(g.matmul(x, w), 2, [8, 8, 8]).map((t) => g.transpose(g.reshape(t, ['batch', 'seq', 2, 4]), [0, 2, 1, 3]));
  const scores = g.matmul(q, k, { transB: true, alpha: 0.5 });
  const causal = g.trilu(g.fill(['seq', 'seq'], 1, 'int64'), false);
  const visible = g.equal(causal, g.scalar(1, 'int64'));
  const masked = mask === 'where' ? g.where(visible, scores, -1e9) : g.add(scores, g.where(visible, g.scalar(0, d), g.scalar(-1e9, d)));
  const ctx = g.matmul(g.softmax(masked), v);
  return { out: g.reshape(g.transpose(ctx, [0, 2, 1, 3]), ['batch', 'seq', 8]), wrt: [x, w] };
}

function matmulCases(): Case[] {
  const mm = (name: string, aDims: (number | string)[], bDims: (number | string)[], opts: { transA?: boolean; transB?: boolean; alpha?: number }) =>
    binaryCase(`matmul ${name}`, 'MatMul', aDims, bDims, (g, a, b) => g.matmul(a, b, opts));
  return [
    mm('2d', [3, 4], [4, 5], {}),
    mm('2d transA', [4, 3], [4, 5], { transA: true }),
    mm('2d transB alpha', [3, 4], [5, 4], { transB: true, alpha: 0.25 }),
    mm('2d transA transB', [4, 3], [5, 4], { transA: true, transB: true }),
    mm('[b,s,4]x[4,5]', ['batch', 'seq', 4], [4, 5], {}),
    mm('[b,s,4]x[5,4]ᵀ', ['batch', 'seq', 4], [5, 4], { transB: true }),
    mm('[b,2,s,4]x[b,2,s,4]ᵀ', ['batch', 2, 'seq', 4], ['batch', 2, 'seq', 4], { transB: true }),
    mm('broadcast [1,2,s,4]x[b,2,4,3]', [1, 2, 'seq', 4], ['batch', 2, 4, 3], {}),
    mm('[4,3]x[b,3,5]', [4, 3], ['batch', 3, 5], {}),
    mm('[b,4,s]ᵀx[4,5] (transA, batched)', ['batch', 4, 'seq'], [4, 5], { transA: true }),
  ];
}

describe('gradient rules vs central differences (run in onnxruntime)', () => {
  for (const c of CASES) {
    const dtype = c.dtype ?? 'float64';
    it(`${c.name} [${dtype}]`, async () => {
      const r = rng(c.name.length * 7919 + 1);
      const g = new Graph(c.name);
      const res = await gradCheck({ dtype, feeds: c.feeds(r, dtype), build: c.build(dtype) }, g);
      // float64: central differences with h=1e-6 are good to ~1e-8; float32 (h=1e-2) to ~1e-2.
      expect(res.maxRelErr).toBeLessThan(dtype === 'float64' ? 1e-6 : 2e-2);
      expect(res.maxInterpDiff).toBeLessThan(dtype === 'float64' ? 1e-9 : 1e-4);
    });
  }

  it('covers every registered gradient rule', () => {
    const covered = new Set([...CASES.flatMap((c) => c.ops), 'StopGradient']);
    expect(gradRegistry.names().filter((n) => !covered.has(n))).toEqual([]);
  });

  it('stops gradients at stopGradient (d/dx of x·sg(eˣ) is eˣ)', () => {
    const g = new Graph();
    const x = g.input('x', 'float64', [3]);
    const [dx] = grad(g, g.reduceSum(g.mul(x, g.stopGradient(g.exp(x)))), [x]);
    const xs = [0.1, -0.4, 1.3];
    const out = interpret(g, { x: hostTensor('float64', [3], xs) }, { dx });
    expect(Array.from(out.dx.data as Float64Array)).toEqual(xs.map(Math.exp));
  });

  it("adds a gathered table's gradient into its other gradient by one scatter-add: no zeros of the table's shape", () => {
    const g = new Graph();
    const table = g.input('table', 'float32', [50, 4]);
    const ids = g.input('ids', 'int64', ['batch', 'seq']);
    const [dTable] = grad(g, g.reduceSum(g.matmul(g.gather(table, ids), table, { transB: true })), [table]);
    expect(dTable!.producer!.op).toBe('ScatterND');
    expect(dTable!.producer!.inputs[0]!.producer!.op).not.toBe('Fill');
  });

  it('rejects a duplicate gradient rule', () => {
    expect(() => gradRegistry.register('Add', () => [])).toThrow(/already registered/);
  });
});

describe('grad with recompute (gradient checkpointing)', () => {
  /** Two tanh layers on 2·x, each a segment; loss = Σ y². */
  function twoSegments() {
    const g = new Graph('segments');
    const x = g.input('x', 'float32', [2, 3]);
    const W1 = g.input('W1', 'float32', [3, 3]);
    const W2 = g.input('W2', 'float32', [3, 3]);
    const embedded = g.mul(x, 2); // outside the segments, as token embeddings are
    g.beginSegment();
    const h = g.tanh(g.matmul(embedded, W1));
    g.beginSegment();
    const y = g.tanh(g.matmul(h, W2));
    g.endSegment();
    return { g, loss: g.reduceSum(g.mul(y, y)), params: [W1, W2], x };
  }

  it('recomputes each segment from its input after the gradient reaches it, with the same gradients', () => {
    const plain = twoSegments();
    const recomputed = twoSegments();
    const grads = grad(plain.g, plain.loss, plain.params);
    const again = grad(recomputed.g, recomputed.loss, recomputed.params, undefined, { recompute: true });
    const r = rng(5);
    const feeds = { x: rand('float32', [2, 3], r), W1: rand('float32', [3, 3], r), W2: rand('float32', [3, 3], r) };
    const run = (g: Graph, outs: Tensor[]) => Object.values(interpret(g, feeds, Object.fromEntries(outs.map((t, i) => [`d${i}`, t])))).map((t) => Array.from(t.data as Float32Array));
    expect(run(recomputed.g, again)).toEqual(run(plain.g, grads));
    // the backward reads copies of the forward's tanh and matmul (one per segment), made after the gradient arrives
    const count = (g: Graph, op: string) => g.nodes.filter((n) => n.op === op).length;
    expect(count(recomputed.g, 'Tanh')).toBe(count(plain.g, 'Tanh') + 2);
    // copies come in backward order: the last layer's (gated on dy = 2y), then the first's, gated on the gradient
    // that flowed back through the last layer's copy
    const [last, first] = recomputed.g.nodes.filter((n) => n.op === 'Tanh').slice(2).map((n) => n.outputs[0]!);
    const y = recomputed.g.nodes.filter((n) => n.op === 'Tanh')[1]!.outputs[0]!;
    expect(dependsOn(last!, y)).toBe(true);
    expect(dependsOn(first!, last!)).toBe(true);
    // and after the last layer's weight gradient, so that its copies can go before the first layer's are made
    expect(dependsOn(first!, again[1]!)).toBe(true);
  });
});

/** Whether `t` is computed from `source` (through any path). */
function dependsOn(t: Tensor, source: Tensor): boolean {
  const seen = new Set<Tensor>();
  const pending = [t];
  while (pending.length) {
    const next = pending.pop()!;
    if (next === source) return true;
    if (seen.has(next)) continue;
    seen.add(next);
    pending.push(...(next.producer?.inputs ?? []));
  }
  return false;
}
