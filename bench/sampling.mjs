#!/usr/bin/env node
// Where the sampling time of one decode step goes: [rows, vocab] logits of the GPT-2-small vocabulary (50257), a flat
// random-init-like distribution, per step of `--rows` rows. Times the float64 JS path (the exp pass, the filters, the
// draw, the log-prob pass), which a repetition-penalised row still takes, against the path rollouts take: the graphs'
// sampling tail (softmax(logits / T), timed alone as a graph on the backend) and the draw over its probabilities.
// Usage: npm run build && node bench/sampling.mjs [--rows 8] [--vocab 50257] [--backend cpu|ort-capi] [--repeat 20]
import os from 'node:os';
import { parseArgs } from 'node:util';
import { DEFAULT_SAMPLER, drawWeighted, emitModel, encodeModel, filteredWeights, Graph, SeededRandom, tokenLogProb } from '@aligntune/core';
import { OnnxRuntimeBackend } from '@aligntune/plugin-backend-onnxruntime';
import { CapiBackend } from '@aligntune/plugin-backend-onnxruntime-capi';

const { values: args } = parseArgs({
  options: {
    rows: { type: 'string', default: '8' },
    vocab: { type: 'string', default: '50257' },
    backend: { type: 'string', default: 'ort-capi' },
    repeat: { type: 'string', default: '20' },
  },
});
const ROWS = Number(args.rows);
const V = Number(args.vocab);
const REPEAT = Number(args.repeat);
console.log(`rows ${ROWS}, vocab ${V}, cpus ${os.availableParallelism()}, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);

const rng = new SeededRandom(3, 'logits');
const logits = Float32Array.from({ length: ROWS * V }, () => rng.normal() * 2);
const row = (data, r) => data.subarray(r * V, (r + 1) * V);
const scratch = new Float64Array(V);
const FILTERS = { plain: {}, 'top-k 50': { topK: 50 }, 'top-p 0.95': { topP: 0.95 }, 'min-p 0.05': { minP: 0.05 } };

/** Median ms of `REPEAT` calls of f (one step: every row), after one warm-up call. */
async function time(f) {
  await f();
  const ms = [];
  for (let i = 0; i < REPEAT; i++) {
    const t = performance.now();
    await f();
    ms.push(performance.now() - t);
  }
  return ms.sort((a, b) => a - b)[Math.floor((ms.length - 1) / 2)];
}
const line = (label, ms) => console.log(`${label.padEnd(44)} ${ms.toFixed(2).padStart(7)} ms/step`);

line('JS exp pass (Math.exp over the vocabulary)', await time(() => { for (let r = 0; r < ROWS; r++) { const x = row(logits, r); for (let i = 0; i < V; i++) scratch[i] = Math.exp(x[i] - 1); } }));
line('JS log-prob pass (tokenLogProb)', await time(() => { for (let r = 0; r < ROWS; r++) tokenLogProb(row(logits, r), 5, 1); }));
for (const [name, o] of Object.entries(FILTERS)) {
  const s = { ...DEFAULT_SAMPLER, ...o };
  line(`JS path, ${name}: weights + filters`, await time(() => { for (let r = 0; r < ROWS; r++) filteredWeights(row(logits, r), s, scratch); }));
  line(`JS path, ${name}: weights + filters + draw`, await time(() => { for (let r = 0; r < ROWS; r++) drawWeighted(filteredWeights(row(logits, r), s, scratch), 0.5); }));
}

const backend = args.backend === 'ort-capi' ? new CapiBackend() : new OnnxRuntimeBackend();
const g = new Graph('sampling-tail');
const input = g.input('x', 'float32', ['rows', V]);
const probsOut = g.softmax(g.div(input, g.input('temperature', 'float32', [])));
const logitsOnly = await backend.compile(encodeModel(emitModel(g, { outputs: { out: g.identity(input) } })), { label: 'logits' });
const tail = await backend.compile(encodeModel(emitModel(g, { outputs: { logits: g.identity(input), probs: probsOut } })), { label: 'tail' });
const feeds = { x: { dtype: 'float32', dims: [ROWS, V], data: logits }, temperature: { dtype: 'float32', dims: [], data: Float32Array.of(1) } };
const bare = await time(() => logitsOnly.run({ x: feeds.x }));
const withTail = await time(() => tail.run(feeds));
line('graph: logits out (a run that returns them)', bare);
line('graph: logits + softmax tail out', withTail);
const { probs } = await tail.run(feeds);
for (const [name, o] of Object.entries(FILTERS)) {
  const s = { ...DEFAULT_SAMPLER, ...o };
  line(`probs path, ${name}: filters + draw`, await time(() => { for (let r = 0; r < ROWS; r++) drawWeighted(filteredWeights(row(logits, r), s, scratch, row(probs.data, r)), 0.5); }));
}
await logitsOnly.dispose();
await tail.dispose();
await backend.dispose();
console.log(`load average after: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
