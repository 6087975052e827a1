import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import {
  bf16ToF32,
  compileWithSharedWeights,
  declareTokenInputs,
  emitModel,
  freezeHostArray,
  grad,
  Graph,
  hostTensor,
  hostValues,
  linear,
  OnnxDataType,
  quantizeBlockwise,
  storeFrozen,
  tokenStatistics,
  type GraphExecutor,
  type HostTensor,
  type Tensor,
} from '@aligntune/core';
import { OnnxRuntimeBackend } from '@aligntune/plugin-backend-onnxruntime';
import { CapiBackend } from '@aligntune/plugin-backend-onnxruntime-capi';
import { gatedOn } from '../../core/src/engine/autodiff/recompute.js';
import type { Node } from '../../core/src/engine/ir/tensor.js';
import { GraphWeights, type WeightMode } from '../../core/src/models/graph/graph-weights.js';
import { bfloat16Weight, quantizedWeight, type StoredWeight } from '../../core/src/models/quant/stored-weight.js';
import { randomArray } from './helpers.js';
import { maxAbsDiff, paddedRows, tinyModel, tokenFeeds } from './graph-helpers.js';

/**
 * How frozen stored weights enter a graph (core/src/models/quant/stored-weight.ts, graph/graph-weights.ts): bf16 as a
 * BFLOAT16 initializer with one Cast (as uint16 bits when fed), gates that copy nothing, the embedding lookup and
 * the chunked LM head reading the stored table, and a linear weight decoded for each reader.
 */

const BACKENDS: ReadonlyArray<[string, () => GraphExecutor]> = [
  ['onnxruntime-node', () => new OnnxRuntimeBackend().configure({ intraOpNumThreads: 2 })],
  ['ort-capi', () => new CapiBackend().configure({ intraOpNumThreads: 2 })],
];
const backends = new Map(BACKENDS.map(([name, make]) => [name, make()]));
afterAll(() => Promise.all([...backends.values()].map((b) => b.dispose())));

/** Runs `outputs` of `g` once, its frozen initializers shared (compileWithSharedWeights), with the feeds its inputs name. */
async function run(backend: GraphExecutor, g: Graph, outputs: Record<string, Tensor>, feeds: Record<string, HostTensor>): Promise<Record<string, HostTensor>> {
  const compiled = await compileWithSharedWeights(backend, emitModel(g, { outputs }), { label: g.label });
  try {
    return await compiled.run(Object.fromEntries(compiled.inputNames.map((name) => [name, feeds[name]!])));
  } finally {
    await compiled.dispose();
  }
}

const bytesOf = (data: HostTensor['data']) => Buffer.from(data.buffer, data.byteOffset, data.byteLength);
const rssBytes = () => 1024 * Number(/VmRSS:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))![1]);
const MIB = 2 ** 20;

/** Every node `t` depends on. */
function ancestors(t: Tensor): Set<Node> {
  const seen = new Set<Node>();
  const stack = [t];
  while (stack.length > 0) {
    const node = stack.pop()!.producer;
    if (!node || seen.has(node)) continue;
    seen.add(node);
    stack.push(...node.inputs);
  }
  return seen;
}

describe('bf16 storage on the graph', () => {
  // every bf16 bit pattern: ±0, subnormals, ±∞ and NaNs included
  const bits = Uint16Array.from({ length: 65536 }, (_, i) => i);
  const weight = bfloat16Weight(bits, [256, 256]);
  const expected = bytesOf(bf16ToF32(bits));

  for (const mode of ['initializer', 'input'] as WeightMode[]) {
    for (const [name] of BACKENDS) {
      it(`${mode}, ${name}: ${mode === 'initializer' ? 'a BFLOAT16 initializer and one Cast' : 'fed as uint16 bits (the same array) through the table'}; every pattern decodes to bf16ToF32's float32, bit for bit`, async () => {
        const g = new Graph(`bf16-${mode}`);
        g.input('x', 'float32', [1]); // a run input, which the initializer's decode waits for
        const weights = new GraphWeights(g, (n) => (n === 'w' ? weight : undefined), { mode });
        const decoded = weights.source('w');
        const onnx = emitModel(g, { outputs: { decoded } });
        if (mode === 'initializer') {
          expect(onnx.graph.initializer?.find((t) => t.name === 'w')?.dataType).toBe(OnnxDataType.BFLOAT16);
          expect(onnx.graph.node.map((n) => n.opType).filter((op) => ['Cast', 'Gather', 'MatMul'].includes(op))).toEqual(['Cast']);
        } else {
          expect(onnx.graph.input.find((v) => v.name === 'w')?.elemType).toBe(OnnxDataType.UINT16);
          expect(weights.feeds().w).toEqual({ dtype: 'uint16', dims: [256, 256], data: bits });
          expect(weights.feeds().w!.data).toBe(bits);
        }
        const out = await run(backends.get(name)!, g, { decoded }, { x: hostTensor('float32', [1], [0.5]), ...weights.feeds() });
        expect(bytesOf(out.decoded!.data).equals(expected)).toBe(true);
      });
    }
  }
});

describe('a gate on a stored initializer', () => {
  for (const [name] of BACKENDS) {
    it(`${name}: copies nothing (a run that reads four rows of a gated 128 MiB weight grows by far less than the weight)`, async () => {
      const [rows, cols] = [32768, 1024];
      const table = new Float32Array(rows * cols).map((_, i) => (i % 4099) / 7);
      freezeHostArray(table);
      const g = new Graph('gated-table');
      const ids = g.input('ids', 'int64', [4]);
      const gated = gatedOn(g, g.initializer('table', { dtype: 'float32', dims: [rows, cols], data: table }), ids);
      const backend = backends.get(name)!;
      const compiled = await compileWithSharedWeights(backend, emitModel(g, { outputs: { rows: g.gather(gated, ids, 0) } }), { label: 'gated table' });
      try {
        const picked = [0, 5, 777, rows - 1];
        const before = rssBytes();
        const out = await compiled.run({ ids: hostTensor('int64', [4], picked) });
        // Where(c, t, t) wrote a 128 MiB copy of the table here
        expect((rssBytes() - before) / MIB).toBeLessThan(32);
        expect(bytesOf(out.rows!.data).equals(Buffer.concat(picked.map((r) => bytesOf(table.subarray(r * cols, (r + 1) * cols)))))).toBe(true);
      } finally {
        await compiled.dispose();
      }
    });
  }
});

describe('a stored linear weight read by two layers', () => {
  it("is decoded for each reader once its input exists, so the first decode is not kept for the second; the backward's decode does not read the reader's input; both give x·Ŵ", async () => {
    const n = 64;
    const stored: StoredWeight = quantizedWeight(quantizeBlockwise(randomArray(n * n, 4, 0.2), [n, n], 'nf4', 64));
    const g = new Graph('two-readers');
    const x = g.input('x', 'float32', [2, n]);
    const weights = new GraphWeights(g, (name) => (name === 'l.weight' ? stored : undefined), { mode: 'initializer' });
    const first = linear(g, x, weights.source, 'l', false);
    const between = g.mul(first, 0.5);
    const second = linear(g, between, weights.source, 'l', false);
    const [w1, w2] = [first, second].map((y) => y.producer!.inputs[1]!);
    expect(w2).not.toBe(w1);
    expect(ancestors(w2!).has(between.producer!)).toBe(true); // the second decode waits for the second reader's input
    grad(g, g.reduceSum(g.mul(second, second)), [x]);
    // the forward's MatMul and the gate's condition; a backward decode tied to the input itself would keep it alive
    expect(g.nodes.filter((node) => node.inputs.includes(between)).map((node) => node.op).sort()).toEqual(['MatMul', 'Reshape']);
    const feeds = { x: hostTensor('float32', [2, n], randomArray(2 * n, 5, 1)) };
    const out = await run(backends.get('onnxruntime-node')!, g, { first, second }, feeds);
    const w = stored.toFloat32();
    const times = (rows: ArrayLike<number>) => Array.from({ length: 2 * n }, (_, k) => Array.from({ length: n }, (_, i) => rows[Math.floor(k / n) * n + i]! * w[i * n + (k % n)]!).reduce((a, b) => a + b));
    const want = times(feeds.x.data as Float32Array);
    expect(maxAbsDiff(hostValues(out.first!), want)).toBeLessThan(1e-5);
    expect(maxAbsDiff(hostValues(out.second!), times(want.map((v) => v * 0.5)))).toBeLessThan(1e-5);
  });
});

describe("a bf16-stored model's embedding and tied LM head", () => {
  const VOCAB = 9000; // three chunks of the head under gradient checkpointing
  const stored = storeFrozen(tinyModel('gpt2', 7, { vocab_size: VOCAB }).model, { precision: 'bf16' });
  const hidden = stored.config.hiddenSize;
  const rows = paddedRows(VOCAB, 6);

  /** Sum of log-probs of hidden·s through the head, and its gradient in s; the graph's float32 [vocab, hidden] tensors and embedding lookups. */
  async function logProbs(checkpointing: boolean) {
    const g = new Graph(`bf16-head-${checkpointing}`);
    g.checkpointing = checkpointing;
    const inputs = declareTokenInputs(g);
    const s = g.input('s', 'float32', []);
    const forward = stored.forward(g, inputs, 'initializer');
    const logits = stored.lmLogits(g, forward.weights, g.mul(forward.hidden, s));
    const { logps } = tokenStatistics(g, logits, inputs.inputIds);
    const [ds] = grad(g, g.reduceSum(logps), [s], undefined, { recompute: checkpointing });
    const out = await run(backends.get('ort-capi')!, g, { logps, ds: ds! }, { ...tokenFeeds(rows), s: hostTensor('float32', [], [1.5]) });
    const live = new Set([...ancestors(logps), ...ancestors(ds!)]);
    const wholeTables = [...live].filter((node) => node.outputs.some((t) => t.dtype === 'float32' && t.shape.join() === `${VOCAB},${hidden}`));
    const lookups = [...live].filter((node) => node.op === 'Gather' && node.inputs[1] === inputs.inputIds);
    return { out, wholeTables, lookups };
  }

  it('the lookup gathers rows of the stored bf16 table; under checkpointing the head decodes vocabulary slices, never the float32 table, with the same log-probs and gradient', async () => {
    const whole = await logProbs(false);
    const chunked = await logProbs(true);
    for (const { lookups } of [whole, chunked]) expect(lookups.map((node) => node.inputs[0]!.dtype)).toEqual(['bfloat16']);
    expect(whole.wholeTables.length).toBeGreaterThan(0); // the whole head decodes the table: what the chunks avoid
    expect(chunked.wholeTables).toEqual([]);
    const logps = hostValues(whole.out.logps!);
    const scale = logps.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    expect(scale).toBeGreaterThan(1);
    expect(maxAbsDiff(hostValues(chunked.out.logps!), logps) / scale).toBeLessThan(1e-6);
    const ds = hostValues(whole.out.ds!)[0]!;
    expect(Math.abs(ds)).toBeGreaterThan(1e-3);
    expect(Math.abs(hostValues(chunked.out.ds!)[0]! - ds) / Math.abs(ds)).toBeLessThan(1e-5);
  });
});
