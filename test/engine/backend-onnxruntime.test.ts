import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  OnnxDataType,
  encodeModel,
  externalizeInitializers,
  getContributionMetadata,
  tensorFromArray,
  type DType,
  type HostTensor,
  type OnnxModel,
  type OnnxNode,
  type OnnxTensor,
  type OnnxValueInfo,
} from '@aligntune/core';
import { OnnxRuntimeBackend, toOrtTensor } from '@aligntune/plugin-backend-onnxruntime';
import { completionOrder } from '../helpers/event-loop.js';
import { addModel, describeBackendConformance, f32, model, seeded, vi } from './backend-conformance.js';

const backends: OnnxRuntimeBackend[] = [];
function backend(options: Parameters<OnnxRuntimeBackend['configure']>[0] = {}): OnnxRuntimeBackend {
  const b = new OnnxRuntimeBackend().configure(options);
  backends.push(b);
  return b;
}
afterAll(async () => {
  await Promise.all(backends.map((b) => b.dispose()));
});

describe('OnnxRuntimeBackend as a plugin contribution', () => {
  it('is a @ComputeBackend("cpu") constructible without arguments', () => {
    expect(getContributionMetadata(OnnxRuntimeBackend)).toMatchObject({ kind: 'compute-backend', ids: ['cpu'] });
    expect(getContributionMetadata(OnnxRuntimeBackend)?.description).toMatch(/onnxruntime/);
    const b = new OnnxRuntimeBackend();
    expect(b.id).toBe('cpu');
    expect(b.placement).toEqual({ stepsPerRun: 1 });
    expect(b.settings).toMatchObject({ graphOptimizationLevel: 'all', worker: false, executionProviders: ['cpu'] });
    expect(b.settings.intraOpNumThreads).toBeGreaterThanOrEqual(1);
  });

  it('configure() validates and must precede compile()', async () => {
    expect(() => new OnnxRuntimeBackend().configure({ stepsPerRun: 0 })).toThrow(/stepsPerRun/);
    expect(new OnnxRuntimeBackend().configure({ stepsPerRun: 8 }).placement.stepsPerRun).toBe(8);
    const b = backend();
    const g = await b.compile(addModel);
    expect(() => b.configure({ worker: true })).toThrow(/before compile/);
    await g.dispose();
  });
});

describeBackendConformance('cpu (onnxruntime-node, in-process)', () => new OnnxRuntimeBackend());
describeBackendConformance('cpu (onnxruntime-node, worker)', () => new OnnxRuntimeBackend().configure({ worker: true }));

describe('worker mode', () => {
  const mlp = encodeModel(
    model(
      'mlp',
      [
        { opType: 'MatMul', input: ['x', 'W'], output: ['xw'] },
        { opType: 'Add', input: ['xw', 'bias'], output: ['h'] },
        { opType: 'Softmax', input: ['h'], output: ['p'], attribute: [{ name: 'axis', value: { type: 'int', value: -1 } }] },
      ],
      [vi('x', 1, ['batch', 256])],
      [vi('p', 1, ['batch', 128]), vi('h', 1, ['batch', 128])],
      [
        tensorFromArray('W', 'float32', [256, 128], seeded(256 * 128, 1)),
        tensorFromArray('bias', 'float32', [128], seeded(128, 2)),
      ],
    ),
  );

  it('gives the same results as in-process', async () => {
    const x: HostTensor = { dtype: 'float32', dims: [64, 256], data: seeded(64 * 256, 3) };
    const inProcess = await (await backend({ worker: false }).compile(mlp)).run({ x });
    const inWorker = await (await backend({ worker: true }).compile(mlp)).run({ x });
    expect(inWorker).toEqual(inProcess);
    expect(Array.from(x.data as Float32Array).slice(0, 3)).toEqual(Array.from(seeded(3, 3))); // feed untouched
  });

  it('keeps the main event loop running during a long run', async () => {
    const big = encodeModel(
      model(
        'big-matmul',
        [{ opType: 'MatMul', input: ['x', 'W'], output: ['y'] }],
        [vi('x', 1, [1024, 1024])],
        [vi('y', 1, [1024, 1024])],
        [tensorFromArray('W', 'float32', [1024, 1024], seeded(1024 * 1024, 4))],
      ),
    );
    const graph = await backend({ worker: true }).compile(big);
    const x: HostTensor = { dtype: 'float32', dims: [1024, 1024], data: seeded(1024 * 1024, 5) };
    await graph.run({ x });
    expect(await completionOrder(() => graph.run({ x }))).toEqual(['immediate', 'run']);
  });
});

describe('tensor conversion', () => {
  it('wraps feeds without copying', () => {
    const data = Float32Array.from([1, 2, 3, 4]);
    const tensor = toOrtTensor({ dtype: 'float32', dims: [2, 2], data });
    expect(tensor.data).toBe(data);
    expect(tensor.dims).toEqual([2, 2]);
    const bits = Uint16Array.from([0x3c00]);
    expect(toOrtTensor({ dtype: 'float16', dims: [1], data: bits }).data).toBe(bits);
  });
});
