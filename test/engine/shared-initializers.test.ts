import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileWithSharedWeights, emitModel, encodeModel, freezeHostArray, Graph, OnnxDataType, tensorFromArray, type HostTensor, type OnnxModel } from '@aligntune/core';
import { OnnxRuntimeBackend } from '@aligntune/plugin-backend-onnxruntime';
import { CapiBackend } from '@aligntune/plugin-backend-onnxruntime-capi';
import { GraphWeights } from '../../core/src/models/graph/graph-weights.js';
import { plainWeight } from '../../core/src/models/quant/stored-weight.js';
import { addModel, f32, model, seeded, vi } from './backend-conformance.js';

/**
 * Frozen weights as shared initializers (issue 17): compiled through compileWithSharedWeights, a large initializer
 * over a frozen model's own array (freezeHostArray) leaves the model bytes, and the ort-capi backend gives every
 * session that reads it one value over that array (AddInitializer): no copy in any session. onnxruntime-node loads it
 * per session as before. Results are the same as with the weight inside the model bytes.
 */
const WEIGHT_FLOATS = 16 * 2 ** 20; // 64 MiB: far above what a session's own allocations move RSS by
const MIB = 2 ** 20;
const weight = seeded(WEIGHT_FLOATS, 3);
freezeHostArray(weight);

/** y = x <op> W, with W [WEIGHT_FLOATS] an initializer (x an input, so onnxruntime cannot fold the op away). */
function weightModel(op: 'Add' | 'Mul', w = weight): OnnxModel {
  return model(
    `${op}-shared`,
    [{ opType: op, input: ['x', 'W'], output: ['y'] }],
    [vi('x', OnnxDataType.FLOAT, [WEIGHT_FLOATS])],
    [vi('y', OnnxDataType.FLOAT, [WEIGHT_FLOATS])],
    [tensorFromArray('W', 'float32', [WEIGHT_FLOATS], w)],
  );
}

const x: HostTensor = { dtype: 'float32', dims: [WEIGHT_FLOATS], data: seeded(WEIGHT_FLOATS, 5) };
/** Whether two float arrays hold the same bits (vitest's deep equality is slow on 16M elements). */
const sameBits = (a: HostTensor, b: HostTensor) => Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength).equals(Buffer.from(b.data.buffer, b.data.byteOffset, b.data.byteLength));
const rssBytes = () => 1024 * Number(/VmRSS:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))![1]);

describe('frozen weights as shared initializers', () => {
  it('ort-capi: one value over the frozen array for two sessions, no copy in either, results as with the weight in the model bytes', async () => {
    const capi = new CapiBackend();
    const node = new OnnxRuntimeBackend();
    try {
      // the library and the first session's setup are loaded before anything is measured
      await (await capi.compile(addModel, { label: 'warm-up' })).run({ a: f32([1]), b: f32([2]) });
      const before = rssBytes();
      const add = await compileWithSharedWeights(capi, weightModel('Add'), { label: 'add' });
      const afterFirst = rssBytes();
      const mul = await compileWithSharedWeights(capi, weightModel('Mul'), { label: 'mul' });
      const afterSecond = rssBytes();
      expect(capi.sharedInitializers).toEqual({ values: 1, bytes: 4 * WEIGHT_FLOATS });
      // the weight is 64 MiB: a copy in a session would show
      expect((afterFirst - before) / MIB).toBeLessThan(16);
      expect((afterSecond - afterFirst) / MIB).toBeLessThan(16);
      // the same measure sees one: a session of the weight inside the model bytes (and the bytes, in JS)
      const copied = await capi.compile(encodeModel(weightModel('Mul')), { label: 'mul in bytes' });
      expect((rssBytes() - afterSecond) / MIB).toBeGreaterThan(48);
      await copied.dispose();
      for (const [graph, op] of [[add, 'Add'], [mul, 'Mul']] as const) {
        const inBytes = await node.compile(encodeModel(weightModel(op)), { label: `${op} in bytes` });
        expect(sameBits((await graph.run({ x })).y!, (await inBytes.run({ x })).y!)).toBe(true);
        await inBytes.dispose();
      }
      await add.dispose();
      expect(capi.sharedInitializers.values).toBe(1); // the other session still reads it
      await mul.dispose();
      expect(capi.sharedInitializers).toEqual({ values: 0, bytes: 0 });
    } finally {
      await Promise.all([capi.dispose(), node.dispose()]);
    }
  });

  it('an initializer over an array not marked frozen (a graph constant, weights something may write) stays in the model bytes', async () => {
    const capi = new CapiBackend();
    try {
      const graph = await compileWithSharedWeights(capi, weightModel('Add', seeded(WEIGHT_FLOATS, 4)), { label: 'not frozen' });
      expect(capi.sharedInitializers.values).toBe(0);
      await graph.dispose();
    } finally {
      await capi.dispose();
    }
  });

  it('onnxruntime-node: the weights beside the model bytes load into each session, with the same results', async () => {
    const node = new OnnxRuntimeBackend();
    try {
      const beside = await compileWithSharedWeights(node, weightModel('Mul'), { label: 'beside' });
      const inBytes = await node.compile(encodeModel(weightModel('Mul')), { label: 'in bytes' });
      expect(sameBits((await beside.run({ x })).y!, (await inBytes.run({ x })).y!)).toBe(true);
    } finally {
      await node.dispose();
    }
  });
});

describe('a shared frozen weight inside a model graph', () => {
  it('ort-capi: an op on a plain float32 shared weight alone (here a Transpose) computes from its real values, not the stub', async () => {
    // [vocab, hidden] = 1024 × 512 floats (2 MiB, shared): logits = h·Transpose(E). Were E a plain constant,
    // onnxruntime would fold the Transpose at session creation from the model bytes' empty stub instead of E
    const [vocab, hidden] = [1024, 512];
    const table = seeded(vocab * hidden, 11);
    freezeHostArray(table);
    const g = new Graph('tied-head');
    const h = g.input('h', 'float32', [2, hidden]);
    const weights = new GraphWeights(g, () => plainWeight({ dtype: 'float32', dims: [vocab, hidden], data: table }), { mode: 'initializer' });
    g.output('logits', g.matmul(h, g.transpose(weights.source('embed.tokens'), [1, 0])));
    const feeds = { h: { dtype: 'float32' as const, dims: [2, hidden], data: seeded(2 * hidden, 12) } };
    const capi = new CapiBackend();
    try {
      const graph = await compileWithSharedWeights(capi, emitModel(g), { label: 'tied head' });
      expect(capi.sharedInitializers.values).toBe(1);
      const logits = (await graph.run(feeds)).logits!.data as Float32Array;
      for (const [row, col] of [[0, 0], [1, 777], [0, vocab - 1]]) {
        let dot = 0;
        for (let k = 0; k < hidden; k++) dot += feeds.h.data[row * hidden + k]! * table[col * hidden + k]!;
        expect(logits[row * vocab + col]).toBeCloseTo(dot, 3);
      }
      await graph.dispose();
    } finally {
      await capi.dispose();
    }
  });
});
