/**
 * The compute backend conformance suite (the tfjs pattern): every compute backend re-runs these tests of core's
 * executor contract (GraphExecutor / CompiledGraph), host tensors first, then resident values where the backend
 * keeps any. test/engine/backend-*.test.ts call it with their backend.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  OnnxDataType,
  encodeModel,
  externalizeInitializers,
  inPlaceOutputs,
  tensorFromArray,
  type DType,
  type GraphExecutor,
  type HostTensor,
  type OnnxModel,
  type OnnxNode,
  type OnnxTensor,
  type OnnxValueInfo,
} from '@aligntune/core';

/** A backend under test, with the session-cache counters both onnxruntime backends keep. */
export type ConformingBackend = GraphExecutor & { readonly stats: { sessionsCreated: number; cacheHits: number } };

export const vi = (name: string, elemType: OnnxDataType, shape?: Array<number | string>): OnnxValueInfo => ({ name, elemType, shape });

export function model(
  name: string,
  node: OnnxNode[],
  input: OnnxValueInfo[],
  output: OnnxValueInfo[],
  initializer: OnnxTensor[] = [],
): OnnxModel {
  return { irVersion: 10, opsetImport: [{ domain: '', version: 21 }], graph: { name, node, input, output, initializer } };
}

export const addModel = encodeModel(
  model(
    'add',
    [{ opType: 'Add', input: ['a', 'b'], output: ['c'] }],
    [vi('a', OnnxDataType.FLOAT, ['n']), vi('b', OnnxDataType.FLOAT, ['n'])],
    [vi('c', OnnxDataType.FLOAT, ['n'])],
  ),
);

export const f32 = (values: number[], dims = [values.length]): HostTensor => ({ dtype: 'float32', dims, data: Float32Array.from(values) });

export function seeded(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let state = seed;
  for (let i = 0; i < n; i++) {
    state = (state * 1664525 + 1013904223) >>> 0;
    out[i] = state / 2 ** 32 - 0.5;
  }
  return out;
}


/** Registers the conformance tests for the backend `create()` makes (a fresh instance per test, disposed after all). */
export function describeBackendConformance(name: string, create: () => ConformingBackend): void {
  describe(`compute backend conformance: ${name}`, () => {
    const made: ConformingBackend[] = [];
    const make = () => {
      const backend = create();
      made.push(backend);
      return backend;
    };
    afterAll(async () => {
      await Promise.all(made.map((b) => b.dispose()));
    });
    it('compiles and runs', async () => {
      const b = make();
      const graph = await b.compile(addModel, { label: 'add' });
      expect(graph.inputNames).toEqual(['a', 'b']);
      expect(graph.outputNames).toEqual(['c']);
      const out = await graph.run({ a: f32([1, 2, 3]), b: f32([10, 20, 30]) });
      expect(out.c).toEqual({ dtype: 'float32', dims: [3], data: Float32Array.from([11, 22, 33]) });
      const again = await graph.run({ a: f32([1, 1], [2]), b: f32([2, 2], [2]) }); // symbolic dim, other size
      expect(Array.from(again.c!.data as Float32Array)).toEqual([3, 3]);
      await graph.dispose();
      await expect(graph.run({ a: f32([1]), b: f32([1]) })).rejects.toThrow(/"add" was disposed/);
    });

    it('caches sessions by model hash and releases them with the last handle', async () => {
      const b = make();
      const [g1, g2] = await Promise.all([b.compile(addModel), b.compile(addModel.slice())]);
      expect(b.stats).toEqual({ sessionsCreated: 1, cacheHits: 1 });
      const other = encodeModel(
        model('sub', [{ opType: 'Sub', input: ['a', 'b'], output: ['c'] }], [vi('a', 1, [1]), vi('b', 1, [1])], [vi('c', 1, [1])]),
      );
      const g3 = await b.compile(other);
      expect(b.stats.sessionsCreated).toBe(2);
      await g1.dispose();
      expect((await g2.run({ a: f32([1]), b: f32([2]) })).c!.data).toEqual(Float32Array.from([3])); // still alive
      await g2.dispose();
      await g3.dispose();
      const g4 = await b.compile(addModel);
      expect(b.stats).toEqual({ sessionsCreated: 3, cacheHits: 1 });
      await g4.dispose();
    });

    it('a graph compiled with reuseMemory: false gets its own session (no arena) and computes the same', async () => {
      const b = make();
      const shared = await b.compile(addModel);
      const lean = await b.compile(addModel, { reuseMemory: false });
      expect(b.stats).toEqual({ sessionsCreated: 2, cacheHits: 0 });
      const feeds = { a: f32([1, 2]), b: f32([3, 4]) };
      expect((await lean.run(feeds)).c).toEqual((await shared.run(feeds)).c);
      await shared.dispose();
      await lean.dispose();
    });

    it('names missing and unknown feeds, unknown fetches and dtype mismatches before running', async () => {
      const graph = await make().compile(addModel, { label: 'train-step' });
      await expect(graph.run({ a: f32([1]) })).rejects.toThrow('graph "train-step": missing feeds: b');
      await expect(graph.run({ a: f32([1]), b: f32([1]), c: f32([1]) })).rejects.toThrow(/unknown feeds: c \(inputs: a, b\)/);
      await expect(graph.run({ a: f32([1]), b: f32([1]) }, ['nope'])).rejects.toThrow(/unknown fetches: nope \(outputs: c\)/);
      const f64: HostTensor = { dtype: 'float64', dims: [1], data: new Float64Array(1) };
      await expect(graph.run({ a: f32([1]), b: f64 })).rejects.toThrow(/feed "b" is float64, the graph expects float32/);
      const short: HostTensor = { dtype: 'float32', dims: [4], data: new Float32Array(3) };
      await expect(graph.run({ a: short, b: f32([1, 2, 3, 4]) })).rejects.toThrow(/feed "a": dims \[4\] hold 4 elements, data has 3/);
      const wrongArray = { dtype: 'float32', dims: [1], data: new Int32Array(1) } as HostTensor;
      await expect(graph.run({ a: wrongArray, b: f32([1]) })).rejects.toThrow(/feed "a": dtype float32 needs a Float32Array/);
      await graph.dispose();
    });

    it('wraps onnxruntime errors with the graph label', async () => {
      const b = make();
      await expect(b.compile(new Uint8Array([8, 1, 0xff, 0xff]), { label: 'garbage' })).rejects.toThrow(
        /onnxruntime rejected graph "garbage" \(model sha256 [0-9a-f]{12}\): .*protobuf parsing failed/,
      );
      const unknownOp = encodeModel(model('bad', [{ opType: 'NoSuchOp', input: ['a'], output: ['c'] }], [vi('a', 1, [1])], [vi('c', 1, [1])]));
      await expect(b.compile(unknownOp, { label: 'bad-op' })).rejects.toThrow(/onnxruntime rejected graph "bad-op".*NoSuchOp/);
      // A failed compile is not cached.
      await expect(b.compile(unknownOp, { label: 'bad-op' })).rejects.toThrow(/NoSuchOp/);
      expect(b.stats.cacheHits).toBe(0);
      // Shape errors surface at run time, also labelled.
      const mm = encodeModel(
        model('mm', [{ opType: 'MatMul', input: ['a', 'b'], output: ['c'] }], [vi('a', 1, ['m', 'k']), vi('b', 1, ['k2', 'n'])], [vi('c', 1)]),
      );
      const graph = await b.compile(mm, { label: 'matmul' });
      await expect(graph.run({ a: f32([1, 2], [1, 2]), b: f32([1, 2, 3], [3, 1]) })).rejects.toThrow(
        /graph "matmul": onnxruntime run failed: .+/,
      );
      await graph.dispose();
    });

    it('round-trips float32, float64, float16, int32, int64, bool and uint8', async () => {
      const cases: Array<[DType, OnnxDataType, HostTensor['data']]> = [
        ['float32', OnnxDataType.FLOAT, Float32Array.from([1.5, -2, 3e-8])],
        ['float64', OnnxDataType.DOUBLE, Float64Array.from([Math.PI, -1e300, 0])],
        ['float16', OnnxDataType.FLOAT16, Uint16Array.from([0x3c00, 0xc000, 0x7bff])],
        ['int32', OnnxDataType.INT32, Int32Array.from([-(2 ** 31), 0, 2 ** 31 - 1])],
        ['int64', OnnxDataType.INT64, BigInt64Array.from([-(2n ** 63n), 0n, 2n ** 62n + 1n])],
        ['bool', OnnxDataType.BOOL, Uint8Array.from([1, 0, 1])],
        ['uint8', OnnxDataType.UINT8, Uint8Array.from([0, 128, 255])],
      ];
      const m = encodeModel(
        model(
          'identities',
          cases.map(([dtype]) => ({ opType: 'Identity', input: [`in_${dtype}`], output: [`out_${dtype}`] })),
          cases.map(([dtype, onnx]) => vi(`in_${dtype}`, onnx, [3])),
          cases.map(([dtype, onnx]) => vi(`out_${dtype}`, onnx, [3])),
        ),
      );
      const graph = await make().compile(m);
      const feeds = Object.fromEntries(cases.map(([dtype, , data]) => [`in_${dtype}`, { dtype, dims: [3], data }]));
      const out = await graph.run(feeds);
      for (const [dtype, , data] of cases) {
        expect(out[`out_${dtype}`]).toEqual({ dtype, dims: [3], data });
        expect(out[`out_${dtype}`]!.data.constructor).toBe(data.constructor);
      }
      await graph.dispose();
    });

    it('computes in float16 (Cast) and reads scalar outputs', async () => {
      const m = encodeModel(
        model(
          'cast',
          [
            { opType: 'Cast', input: ['x'], output: ['h'], attribute: [{ name: 'to', value: { type: 'int', value: OnnxDataType.FLOAT16 } }] },
            { opType: 'ReduceSum', input: ['x'], output: ['total'], attribute: [{ name: 'keepdims', value: { type: 'int', value: 0 } }] },
          ],
          [vi('x', OnnxDataType.FLOAT, [2])],
          [vi('h', OnnxDataType.FLOAT16, [2]), vi('total', OnnxDataType.FLOAT, [])],
        ),
      );
      const graph = await make().compile(m);
      const out = await graph.run({ x: f32([1, -2]) });
      expect(out.h).toEqual({ dtype: 'float16', dims: [2], data: Uint16Array.from([0x3c00, 0xc000]) });
      expect(out.total).toEqual({ dtype: 'float32', dims: [], data: Float32Array.from([-1]) });
      await graph.dispose();
    });

    it('fetches a subset of outputs', async () => {
      const m = encodeModel(
        model(
          'three',
          [
            { opType: 'Add', input: ['a', 'a'], output: ['double'] },
            { opType: 'Mul', input: ['a', 'a'], output: ['square'] },
            { opType: 'Neg', input: ['a'], output: ['neg'] },
          ],
          [vi('a', 1, [2])],
          [vi('double', 1, [2]), vi('square', 1, [2]), vi('neg', 1, [2])],
        ),
      );
      const graph = await make().compile(m);
      const out = await graph.run({ a: f32([3, 4]) }, ['square', 'neg']);
      expect(Object.keys(out).sort()).toEqual(['neg', 'square']);
      expect(Array.from(out.square!.data as Float32Array)).toEqual([9, 16]);
      expect(Array.from(out.neg!.data as Float32Array)).toEqual([-3, -4]);
      await graph.dispose();
    });

    it('accepts feeds backed by a SharedArrayBuffer', async () => {
      const graph = await make().compile(addModel);
      const shared = new Float32Array(new SharedArrayBuffer(8));
      shared.set([1, 2]);
      const out = await graph.run({ a: { dtype: 'float32', dims: [2], data: shared }, b: f32([1, 1]) });
      expect(Array.from(out.c!.data as Float32Array)).toEqual([2, 3]);
      await graph.dispose();
    });

    it('passes external data through CompileOptions', async () => {
      const W = tensorFromArray('W', 'float32', [2, 2], Float32Array.from([1, 2, 3, 4]));
      const { model: m, externalData } = externalizeInitializers(
        model('ext', [{ opType: 'MatMul', input: ['x', 'W'], output: ['y'] }], [vi('x', 1, [1, 2])], [vi('y', 1, [1, 2])], [W]),
        1,
      );
      const b = make();
      const graph = await b.compile(encodeModel(m), { externalData, label: 'ext' });
      expect(Array.from((await graph.run({ x: f32([1, 1], [1, 2]) })).y!.data as Float32Array)).toEqual([4, 6]);
      // Different external bytes under the same model bytes must not hit the cache.
      const W2 = { path: externalData[0]!.path, data: new Uint8Array(Float32Array.from([0, 0, 0, 1]).buffer) };
      const graph2 = await b.compile(encodeModel(m), { externalData: [W2] });
      expect(b.stats.cacheHits).toBe(0);
      expect(Array.from((await graph2.run({ x: f32([1, 1], [1, 2]) })).y!.data as Float32Array)).toEqual([0, 1]);
      await graph.dispose();
      await graph2.dispose();
    });

    it('writes an onnxruntime profile when asked', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'aligntune-profile-'));
      try {
        const graph = await make().compile(addModel, { profileFilePrefix: join(dir, 'add') });
        await graph.run({ a: f32([1]), b: f32([2]) });
        await graph.dispose();
        const files = readdirSync(dir).filter((f) => f.startsWith('add') && f.endsWith('.json'));
        expect(files).toHaveLength(1);
        const events = JSON.parse(readFileSync(join(dir, files[0]!), 'utf8')) as Array<{ name: string }>;
        expect(events.some((e) => e.name.includes('Add'))).toBe(true);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });


    describe('resident values', () => {
      const residentOf = (b: GraphExecutor) => b.resident;

      it('offers none, or creates, reads, writes and frees them', () => {
        const values = residentOf(make());
        if (!values) return expect(values).toBeUndefined();
        const t = values.create(f32([1, 2, 3]));
        expect(t).toMatchObject({ resident: true, dtype: 'float32', dims: [3] });
        expect(t.read()).toEqual(f32([1, 2, 3]));
        t.write(f32([4, 5, 6]));
        expect(t.read()).toEqual(f32([4, 5, 6]));
        expect(() => t.write(f32([1, 2]))).toThrow(/float32\[3\]; cannot write float32\[2\]/);
        expect(values.create({ dtype: 'int64', dims: [2] }).read()).toEqual({ dtype: 'int64', dims: [2], data: new BigInt64Array(2) });
        t.dispose();
        expect(() => t.read()).toThrow(/disposed/);
      });

      it('runs with resident feeds and writes outputs into resident tensors (ping-pong)', async () => {
        const b = make();
        const graph = await b.compile(addModel, { label: 'acc' });
        if (!b.resident) {
          // a backend without resident values refuses another backend's
          const foreign = { resident: true, dtype: 'float32', dims: [1], read: () => f32([1]), write: () => {}, dispose: () => {} } as const;
          await expect(graph.run({ a: foreign, b: f32([1]) })).rejects.toThrow(/graph "acc": resident values \(a\) belong to another compute backend/);
          return graph.dispose();
        }
        let current = b.resident.create(f32([0, 0]));
        let next = b.resident.create({ dtype: 'float32', dims: [2] });
        for (let i = 1; i <= 3; i++) {
          expect(await graph.run({ a: current, b: f32([i, 10 * i]) }, [], { into: { c: next } })).toEqual({});
          [current, next] = [next, current];
        }
        expect(current.read()).toEqual(f32([6, 60]));
        // fetches default to the outputs not written into a resident tensor; a fed tensor is never also an output
        expect(await graph.run({ a: current, b: f32([1, 1]) })).toEqual({ c: f32([7, 61]) });
        await expect(graph.run({ a: current, b: f32([1, 1]) }, [], { into: { c: current } })).rejects.toThrow(/in place is unsafe/);
        await expect(graph.run({ a: current, b: f32([1, 1]) }, ['c'], { into: { c: next } })).rejects.toThrow(/both fetched and written into/);
        const other = make().resident!.create(f32([1, 1]));
        await expect(graph.run({ a: other, b: f32([1, 1]) })).rejects.toThrow(/feed "a": not a live resident tensor of this backend/);
        next.dispose();
        await expect(graph.run({ a: current, b: f32([1, 1]) }, [], { into: { c: next } })).rejects.toThrow(/output "c": not a live resident tensor/);
        current.dispose();
        await graph.dispose();
      });

      it('writes an output into its own input where the graph proves it safe (inPlace)', async () => {
        const b = make();
        if (!b.resident) return;
        const add = model('add', [{ opType: 'Add', input: ['a', 'b'], output: ['c'] }], [vi('a', OnnxDataType.FLOAT, ['n']), vi('b', OnnxDataType.FLOAT, ['n'])], [vi('c', OnnxDataType.FLOAT, ['n'])]);
        const inPlace = [...inPlaceOutputs(add.graph, new Map([['c', 'a']]))];
        expect(inPlace).toEqual(['c']);
        const graph = await b.compile(encodeModel(add), { label: 'acc' });
        const state = b.resident.create(f32([0, 0]));
        for (let i = 1; i <= 3; i++) await graph.run({ a: state, b: f32([i, 10 * i]) }, [], { into: { c: state }, inPlace });
        expect(state.read()).toEqual(f32([6, 60]));
        // naming another output does not lift the refusal for this one
        await expect(graph.run({ a: state, b: f32([1, 1]) }, [], { into: { c: state }, inPlace: ['d'] })).rejects.toThrow(/in place is unsafe/);
        state.dispose();
        await graph.dispose();
      });
    });
  });
}
