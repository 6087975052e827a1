// Where a run's peak RSS goes: a worker thread samples the process's VmRSS every 100 ms (it keeps sampling while
// the main thread is blocked in a synchronous onnxruntime call), and the main thread marks phases (log lines,
// compiles, runs) with its JS heap and ArrayBuffer bytes at that moment. `report()` lists each phase with the RSS
// when it began, the highest RSS sampled until the next mark, and the JS ArrayBuffers alive at its start.
import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';

const SAMPLER = `
const { parentPort, workerData } = require('node:worker_threads');
const { readFileSync } = require('node:fs');
const view = new Int32Array(workerData);
const rss = () => Number(/VmRSS:\\s+(\\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1]);
setInterval(() => { const kib = rss(); if (kib > view[0]) view[0] = kib; view[1] = kib; }, 100);
parentPort.on('message', () => process.exit(0));
`;

const vmRssKiB = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1]);
const gib = (kib) => (kib / 2 ** 20).toFixed(2);

export function startRssTrace() {
  // [0]: highest VmRSS (KiB) since the last mark, [1]: the latest sample
  const shared = new SharedArrayBuffer(8);
  const view = new Int32Array(shared);
  const worker = new Worker(SAMPLER, { eval: true, workerData: shared });
  worker.unref();
  const phases = [];
  const started = performance.now();
  const mark = (label) => {
    const now = vmRssKiB();
    if (phases.length) phases.at(-1).peakKiB = Math.max(view[0], now);
    Atomics.store(view, 0, now);
    const m = process.memoryUsage();
    phases.push({ label, seconds: (performance.now() - started) / 1000, rssKiB: now, peakKiB: now, arrayBuffers: m.arrayBuffers, heapUsed: m.heapUsed });
  };
  return {
    mark,
    /** The phases as lines: start time, RSS at start, peak until the next mark, JS ArrayBuffers and heap at start. */
    report() {
      mark('end');
      worker.postMessage('stop');
      const rows = phases.slice(0, -1).map((p) => `${p.seconds.toFixed(1).padStart(7)} s  rss ${gib(p.rssKiB)}  peak ${gib(p.peakKiB)} GiB  js buffers ${gib(p.arrayBuffers / 1024)} heap ${gib(p.heapUsed / 1024)} GiB  ${p.label}`);
      return ['    time  (GiB)                  phase', ...rows].join('\n');
    },
  };
}

/** Marks every compile and run of `Backend` (a compute backend class) in `trace`. */
export function traceBackend(Backend, trace) {
  const compile = Backend.prototype.compile;
  Backend.prototype.compile = async function (model, options = {}) {
    const label = options.label ?? 'graph';
    trace.mark(`compile ${label} (${(model.byteLength / 2 ** 20).toFixed(0)} MiB model bytes)`);
    const graph = await compile.call(this, model, options);
    trace.mark(`compiled ${label}`);
    const run = graph.run.bind(graph);
    graph.run = async (...args) => {
      trace.mark(`run ${label}`);
      const out = await run(...args);
      trace.mark(`ran ${label}`);
      return out;
    };
    return graph;
  };
}
