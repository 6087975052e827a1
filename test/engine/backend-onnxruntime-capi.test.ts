import { spawnSync } from 'node:child_process';
import koffi from 'koffi';
import { describe, expect, it } from 'vitest';
import { encodeModel, getContributionMetadata, tensorFromArray, type HostTensor } from '@aligntune/core';
import { CapiBackend, CapiCudaBackend, EXPECTED_ORT_VERSION, loadOrt, probeCapiCpu, probeCuda } from '@aligntune/plugin-backend-onnxruntime-capi';
import { completionOrder } from '../helpers/event-loop.js';
import { describeBackendConformance, f32, model, seeded, vi } from './backend-conformance.js';

describeBackendConformance("ort-capi (onnxruntime's C API)", () => new CapiBackend());

describe("C API backend", () => {
  it('binds the library onnxruntime-node installs, of the version its function table was checked against', () => {
    expect(loadOrt().version).toBe(EXPECTED_ORT_VERSION);
    expect(probeCapiCpu({ deviceId: 0 })).toBeUndefined();
    expect(probeCapiCpu({ deviceId: 1 })).toMatch(/device_id must be 0/);
    expect(getContributionMetadata(CapiBackend)).toMatchObject({ kind: 'compute-backend', ids: ['ort-capi'], device: 'cpu', priority: 10 });
    expect(getContributionMetadata(CapiCudaBackend)).toMatchObject({ kind: 'compute-backend', ids: ['ort-capi-cuda'], device: 'cuda' });
  });

  it('gives native calls 8 MiB stacks (koffi defaults to 128 KiB for async calls; onnxruntime kernels use the caller\'s stack)', () => {
    loadOrt();
    expect(koffi.config()).toMatchObject({ sync_stack_size: 8 * 2 ** 20, async_stack_size: 8 * 2 ** 20 });
  });

  it('keeps the library loaded when garbage is collected (koffi unloads a library whose handle is collected)', async () => {
    // a fresh process: here onnxruntime-node may already hold the library, which would hide an unload
    const dist = new URL('../../plugins/backend-onnxruntime-capi/dist/index.js', import.meta.url).href;
    const script = `
      const { CapiBackend } = await import(${JSON.stringify(dist)});
      const backend = new CapiBackend();
      const zeros = backend.resident.create({ dtype: 'float32', dims: [4] });
      for (let i = 0; i < 5; i++) { globalThis.gc(); await new Promise((r) => setTimeout(r, 10)); }
      console.log(JSON.stringify(Array.from(zeros.read().data)));`;
    const child = spawnSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(child.status, child.stderr).toBe(0);
    expect(child.stdout.trim()).toBe('[0,0,0,0]');
  });

  it('gives bit-identical results to onnxruntime-node on a matmul + softmax graph', async () => {
    const { OnnxRuntimeBackend } = await import('@aligntune/plugin-backend-onnxruntime');
    const mlp = encodeModel(
      model(
        'mlp',
        [
          { opType: 'MatMul', input: ['x', 'W'], output: ['xw'] },
          { opType: 'Softmax', input: ['xw'], output: ['p'], attribute: [{ name: 'axis', value: { type: 'int', value: -1 } }] },
        ],
        [vi('x', 1, ['batch', 64])],
        [vi('p', 1, ['batch', 32])],
        [tensorFromArray('W', 'float32', [64, 32], seeded(64 * 32, 1))],
      ),
    );
    const x: HostTensor = { dtype: 'float32', dims: [16, 64], data: seeded(16 * 64, 2) };
    const node = new OnnxRuntimeBackend();
    const capi = new CapiBackend();
    try {
      expect(await (await capi.compile(mlp)).run({ x })).toEqual(await (await node.compile(mlp)).run({ x }));
    } finally {
      await Promise.all([node.dispose(), capi.dispose()]);
    }
  });

  it('releases every value: memory stays flat over many runs with host and resident tensors', async () => {
    const b = new CapiBackend();
    const graph = await b.compile(encodeModel(model('add', [{ opType: 'Add', input: ['a', 'b'], output: ['c'] }], [vi('a', 1, ['n']), vi('b', 1, ['n'])], [vi('c', 1, ['n'])])));
    const n = 1 << 20; // 4 MiB per tensor
    const host: HostTensor = { dtype: 'float32', dims: [n], data: new Float32Array(n) };
    const run = async () => {
      await graph.run({ a: host, b: host });
      const r = b.resident!.create(host);
      const out = b.resident!.create({ dtype: 'float32', dims: [n] });
      await graph.run({ a: r, b: host }, [], { into: { c: out } });
      r.dispose();
      out.dispose();
    };
    for (let i = 0; i < 20; i++) await run();
    const before = process.memoryUsage().rss;
    for (let i = 0; i < 150; i++) await run();
    // without releases this would hold 150 × 16 MiB; allow noise from the allocator and V8
    expect(process.memoryUsage().rss - before).toBeLessThan(256 * 2 ** 20);
    await b.dispose();
  });

  it('keeps the main event loop running during runs (Run on a koffi worker thread)', async () => {
    const big = encodeModel(
      model('big-matmul', [{ opType: 'MatMul', input: ['x', 'W'], output: ['y'] }], [vi('x', 1, [1024, 1024])], [vi('y', 1, [1024, 1024])], [
        tensorFromArray('W', 'float32', [1024, 1024], seeded(1024 * 1024, 4)),
      ]),
    );
    const b = new CapiBackend();
    const graph = await b.compile(big);
    const x = b.resident!.create({ dtype: 'float32', dims: [1024, 1024], data: seeded(1024 * 1024, 5) });
    const y = b.resident!.create({ dtype: 'float32', dims: [1024, 1024] });
    await graph.run({ x }, [], { into: { y } });
    expect(await completionOrder(() => graph.run({ x }, [], { into: { y } }))).toEqual(['immediate', 'run']);
    await b.dispose();
  });

  it('the CUDA backend refuses here, saying what is missing', () => {
    const refusal = probeCuda({ deviceId: 0 });
    expect(refusal).toMatch(/CUDA provider libraries missing in .*libonnxruntime_providers_shared\.so, libonnxruntime_providers_cuda\.so|no CUDA driver/);
    expect(refusal).toMatch(/ALIGNTUNE_ORT_LIBRARY/);
    expect(() => new CapiCudaBackend().ensureDevice()).toThrow(/compute backend "ort-capi-cuda" cannot run here: /);
  });
});
