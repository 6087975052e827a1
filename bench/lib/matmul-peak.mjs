// The machine's measured fp32 MatMul peak through onnxruntime (CPU backend). Other benchmarks divide
// their achieved GFLOP/s by this to report utilisation. Needs built packages (`npm run build`).
import { availableParallelism, loadavg } from 'node:os';
import { encodeModel, tensorFromArray } from '@aligntune/core';
import { OnnxRuntimeBackend } from '@aligntune/plugin-backend-onnxruntime';

/**
 * [M, K, N]: x[M,K] fed per run, W[K,N] an initializer. Chosen so the kernel dominates a run: the
 * transformer MLP shape, a large-K shape whose output (the only copied tensor) is small, and 2048³.
 */
export const PEAK_SHAPES = [
  [2048, 768, 3072],
  [1024, 4096, 1024],
  [2048, 2048, 2048],
];

function matmulModel([m, k, n]) {
  // Deterministic, non-trivial weights (denormals or zeros could take other code paths).
  const w = new Float32Array(k * n);
  for (let i = 0; i < w.length; i++) w[i] = ((i * 2654435761) % 1000) / 1000 - 0.5;
  return encodeModel({
    irVersion: 10,
    opsetImport: [{ domain: '', version: 21 }],
    producerName: 'aligntune-bench',
    graph: {
      name: `matmul_${m}x${k}x${n}`,
      node: [{ opType: 'MatMul', input: ['x', 'W'], output: ['y'] }],
      input: [{ name: 'x', elemType: 1, shape: [m, k] }],
      output: [{ name: 'y', elemType: 1, shape: [m, n] }],
      initializer: [tensorFromArray('W', 'float32', [k, n], w)],
    },
  });
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Median and best wall time of `runs` session runs (after `warmup` runs), output copy included. */
async function timeShape(backend, shape, { warmup, runs }) {
  const [m, k] = shape;
  const graph = await backend.compile(matmulModel(shape), { label: `matmul-peak ${shape.join('x')}` });
  const x = { dtype: 'float32', dims: [m, k], data: new Float32Array(m * k).fill(0.25) };
  try {
    for (let i = 0; i < warmup; i++) await graph.run({ x });
    const times = [];
    for (let i = 0; i < runs; i++) {
      const start = performance.now();
      await graph.run({ x });
      times.push(performance.now() - start);
    }
    return { ms: median(times), bestMs: Math.min(...times) };
  } finally {
    await graph.dispose();
  }
}

/**
 * Best over PEAK_SHAPES of the median fp32 MatMul throughput (`gflops`, the number to divide by).
 * `bestGflops` uses each shape's fastest run instead; `loadAverage` is the 1-minute load before
 * measuring. On a shared 2-vCPU VM other processes easily halve the result, so measure on a quiet machine.
 * @param {{ threads?: number, shapes?: number[][], warmup?: number, runs?: number }} [options]
 * @returns {Promise<{ gflops: number, bestGflops: number, shape: number[], ms: number, threads: number, loadAverage: number,
 *   all: Array<{ shape: number[], ms: number, gflops: number, bestGflops: number }> }>}
 */
export async function measureMatmulPeak({ threads, shapes = PEAK_SHAPES, warmup = 5, runs = 15 } = {}) {
  const intraOpNumThreads = threads ?? availableParallelism();
  const backend = new OnnxRuntimeBackend().configure({ intraOpNumThreads, worker: false });
  const loadAverage = loadavg()[0];
  const all = [];
  try {
    for (const shape of shapes) {
      const { ms, bestMs } = await timeShape(backend, shape, { warmup, runs });
      const flop = 2 * shape[0] * shape[1] * shape[2];
      all.push({ shape, ms, gflops: flop / (ms * 1e6), bestGflops: flop / (bestMs * 1e6) });
    }
  } finally {
    await backend.dispose();
  }
  const best = all.reduce((a, b) => (b.gflops > a.gflops ? b : a));
  const bestGflops = Math.max(...all.map((r) => r.bestGflops));
  return { gflops: best.gflops, bestGflops, shape: best.shape, ms: best.ms, threads: intraOpNumThreads, loadAverage, all };
}
