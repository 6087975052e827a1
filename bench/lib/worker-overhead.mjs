// In-process vs worker-thread sessions of the 'cpu' backend: per-run overhead, feed copies, and how
// responsive the main event loop stays. Run: node bench/lib/worker-overhead.mjs  (after `npm run build`).
import { pathToFileURL } from 'node:url';
import { encodeModel, tensorFromArray } from '@aligntune/core';
import { OnnxRuntimeBackend } from '@aligntune/plugin-backend-onnxruntime';

const F = 1; // OnnxDataType.FLOAT
const vi = (name, shape) => ({ name, elemType: F, shape });
const model = (name, node, input, output, initializer = []) =>
  encodeModel({ irVersion: 10, opsetImport: [{ domain: '', version: 21 }], graph: { name, node, input, output, initializer } });
const count = (dims) => dims.reduce((a, b) => a * b, 1);
const f32 = (dims, fill = 1) => ({ dtype: 'float32', dims, data: new Float32Array(count(dims)).fill(fill) });
/** Same tensor backed by a SharedArrayBuffer: it crosses into the worker without a copy. */
const sharedF32 = (dims, fill = 1) => ({
  dtype: 'float32',
  dims,
  data: new Float32Array(new SharedArrayBuffer(4 * count(dims))).fill(fill),
});

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function timeRuns(graph, feeds, n) {
  const times = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await graph.run(feeds());
    times.push(performance.now() - t0);
  }
  return median(times);
}

/** Returns { case: { inProcessMs, workerMs } } plus event-loop ticks seen during a long run. */
export async function measureWorkerOverhead() {
  const n = 10_000_000;
  const sgd = model(
    'sgd',
    [
      { opType: 'Mul', input: ['g', 'lr'], output: ['step'] },
      { opType: 'Sub', input: ['W', 'step'], output: ['W_new'] },
    ],
    [vi('W', [n]), vi('g', [n])],
    [vi('W_new', [n])],
    [tensorFromArray('lr', 'float32', [], new Float32Array([0.01]))],
  );
  const cases = {
    'tiny Add [4]': {
      bytes: model('tiny', [{ opType: 'Add', input: ['a', 'b'], output: ['c'] }], [vi('a', [4]), vi('b', [4])], [vi('c', [4])]),
      feeds: () => ({ a: f32([4]), b: f32([4]) }),
      runs: 2000,
    },
    'SGD update 10M params (W - lr*g), 2 feeds in, 1 out': {
      bytes: sgd,
      feeds: (() => {
        const W = f32([n]);
        const g = f32([n], 0.5);
        return () => ({ W, g });
      })(),
      runs: 15,
    },
    'same, feeds in SharedArrayBuffers': {
      bytes: sgd,
      feeds: (() => {
        const W = sharedF32([n]);
        const g = sharedF32([n], 0.5);
        return () => ({ W, g });
      })(),
      runs: 15,
    },
    'MatMul 2048x768 @ 768x3072 (W initializer)': {
      bytes: model(
        'mm',
        [{ opType: 'MatMul', input: ['x', 'W'], output: ['y'] }],
        [vi('x', [2048, 768])],
        [vi('y', [2048, 3072])],
        [tensorFromArray('W', 'float32', [768, 3072], new Float32Array(768 * 3072).fill(0.001))],
      ),
      feeds: (() => {
        const x = f32([2048, 768]);
        return () => ({ x });
      })(),
      runs: 15,
    },
  };
  const results = {};
  for (const worker of [false, true]) {
    const backend = new OnnxRuntimeBackend().configure({ worker });
    for (const [name, c] of Object.entries(cases)) {
      const graph = await backend.compile(c.bytes, { label: name });
      await timeRuns(graph, c.feeds, 3); // warm-up
      const ms = await timeRuns(graph, c.feeds, c.runs);
      results[name] ??= {};
      results[name][worker ? 'workerMs' : 'inProcessMs'] = ms;
      await graph.dispose();
    }
    results['event-loop ticks (1 ms interval) during 5 MatMul runs'] ??= {};
    results['event-loop ticks (1 ms interval) during 5 MatMul runs'][worker ? 'workerMs' : 'inProcessMs'] = await ticksDuring(
      backend,
      cases['MatMul 2048x768 @ 768x3072 (W initializer)'],
    );
    await backend.dispose();
  }
  return results;
}

async function ticksDuring(backend, c) {
  const graph = await backend.compile(c.bytes, { label: 'ticks' });
  let ticks = 0;
  const timer = setInterval(() => ticks++, 1);
  const t0 = performance.now();
  for (let i = 0; i < 5; i++) await graph.run(c.feeds());
  const ms = performance.now() - t0;
  clearInterval(timer);
  await graph.dispose();
  return `${ticks} ticks in ${ms.toFixed(0)} ms`;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const results = await measureWorkerOverhead();
  for (const [name, r] of Object.entries(results)) {
    const fmt = (v) => (typeof v === 'number' ? `${v.toFixed(3)} ms` : v);
    console.log(`${name}\n  in-process: ${fmt(r.inProcessMs)}\n  worker:     ${fmt(r.workerMs)}`);
  }
}
