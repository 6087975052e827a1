#!/usr/bin/env node
// Engine benchmark: fp32 MatMul peak vs. the achieved GFLOP/s of one fused train step (fwd + bwd +
// clip + AdamW, one session.run) of a GPT-2 block (d=768, 12 heads, MLP 3072) on batch×seq tokens.
// Usage: npm run build && npm run bench:engine [-- --batch 4 --seq 512 --steps 5 --loop 4 --mask bias --backend cpu|ort-capi --profile /tmp/step]
//   --backend    'cpu' (onnxruntime-node, state copied in and out every step) or 'ort-capi' (C API, state resident)
//   --loop K     also time the K-steps-per-run Loop graph (buildLoopTrainStep; 0 skips it)
//   --mask       'bias' (additive [S,S] bias, as core/src/models' attention does) or 'where' (Where on the scores)
//   --profile P  profile the single-step session to P-step_*.json and print kernel time per op type
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { AdamW, buildLoopTrainStep, buildTrainStep, encodeModel, Graph, hostTensor, TrainSession } from '@aligntune/core';
import { OnnxRuntimeBackend } from '@aligntune/plugin-backend-onnxruntime';
import { CapiBackend } from '@aligntune/plugin-backend-onnxruntime-capi';
import { measureMatmulPeak } from './lib/matmul-peak.mjs';
import { latestProfile, summariseProfile } from './lib/ort-profile.mjs';

const { values: args } = parseArgs({
  options: {
    batch: { type: 'string', default: '4' },
    seq: { type: 'string', default: '512' },
    steps: { type: 'string', default: '5' },
    loop: { type: 'string', default: '4' },
    mask: { type: 'string', default: 'bias' },
    backend: { type: 'string', default: 'cpu' },
    profile: { type: 'string' },
  },
});
const B = Number(args.batch);
const S = Number(args.seq);
const STEPS = Number(args.steps);
const LOOP = Number(args.loop);
if (args.mask !== 'bias' && args.mask !== 'where') throw new Error(`--mask must be 'bias' or 'where', got ${args.mask}`);
if (args.backend !== 'cpu' && args.backend !== 'ort-capi') throw new Error(`--backend must be 'cpu' or 'ort-capi', got ${args.backend}`);
const D = 768;
const H = 12;
const MLP = 3072;

const SHAPES = {
  ln1_w: [D], ln1_b: [D], qkv_w: [D, 3 * D], qkv_b: [3 * D], proj_w: [D, D], proj_b: [D],
  ln2_w: [D], ln2_b: [D], fc_w: [D, MLP], fc_b: [MLP], out_w: [MLP, D], out_b: [D],
};

/** Pre-LN GPT-2 block with causal attention; loss = mean squared error to a target. */
function buildBlock() {
  const g = new Graph('gpt2-block');
  const p = Object.fromEntries(Object.entries(SHAPES).map(([k, d]) => [k, g.input(k, 'float32', d)]));
  const x = g.input('x', 'float32', ['batch', 'seq', D]);
  const target = g.input('target', 'float32', ['batch', 'seq', D]);
  const dh = D / H;
  const h = g.layerNorm(x, p.ln1_w, p.ln1_b);
  const qkv = g.add(g.matmul(h, p.qkv_w), p.qkv_b);
  const [q, k, v] = g.split(qkv, 2, [D, D, D]).map((t) => g.transpose(g.reshape(t, ['batch', 'seq', H, dh]), [0, 2, 1, 3]));
  const scores = g.matmul(q, k, { transB: true, alpha: 1 / Math.sqrt(dh) });
  const causal = g.equal(g.trilu(g.fill(['seq', 'seq'], 1, 'int64'), false), g.scalar(1, 'int64'));
  // 'bias': scores + [S,S] additive bias (0 / −1e9), the form core/src/models' attention uses; its
  // backward is the identity for the scores. 'where': Where over the [B,H,S,S] scores, forward and backward.
  const masked = args.mask === 'bias' ? g.add(scores, g.where(causal, g.scalar(0), g.scalar(-1e9))) : g.where(causal, scores, -1e9);
  const att = g.softmax(masked);
  const ctx = g.reshape(g.transpose(g.matmul(att, v), [0, 2, 1, 3]), ['batch', 'seq', D]);
  const x1 = g.add(x, g.add(g.matmul(ctx, p.proj_w), p.proj_b));
  const h2 = g.layerNorm(x1, p.ln2_w, p.ln2_b);
  const m = g.gelu(g.add(g.matmul(h2, p.fc_w), p.fc_b));
  const y = g.add(x1, g.add(g.matmul(m, p.out_w), p.out_b));
  const d = g.sub(y, target);
  return { graph: g, loss: g.reduceMean(g.mul(d, d)), params: Object.values(p) };
}

function randomTensor(dims, scale, seed) {
  const n = dims.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    data[i] = (s / 2 ** 32 - 0.5) * 2 * scale;
  }
  return { dtype: 'float32', dims, data };
}

function median(v) {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

const load0 = loadavg()[0];
const peakBefore = await measureMatmulPeak();

const spec = buildBlock();
const program = buildTrainStep({ ...spec, optimizer: new AdamW(), maxGradNorm: 1 });
console.log(`train-step graph: ${program.model.graph.node.length} ONNX nodes, ${encodeModel(program.model).byteLength} bytes (mask: ${args.mask})`);
const profile = args.profile ? { profileFilePrefix: `${args.profile}-step` } : {};
const backend = args.backend === 'cpu' ? new OnnxRuntimeBackend().configure({ worker: false, ...profile }) : new CapiBackend().configure(profile);
const init = Object.fromEntries(
  Object.entries(SHAPES).map(([k, dims], i) =>
    [k, /ln\d_w/.test(k) ? hostTensor('float32', dims, new Float32Array(dims[0]).fill(1)) : randomTensor(dims, k.endsWith('_b') ? 0 : 0.035, i + 1)],
  ),
);
const session = await TrainSession.create(backend, { trainStep: program }, init);
const batch = { x: randomTensor([B, S, D], 1, 99), target: randomTensor([B, S, D], 1, 98) };

const times = [];
for (let i = 0; i < STEPS + 2; i++) {
  const t0 = performance.now();
  const r = await session.step(batch, 1e-4);
  const ms = performance.now() - t0;
  if (i >= 2) times.push(ms);
  if (!Number.isFinite(r.loss)) throw new Error('loss is not finite');
}
await session.dispose();
await backend.dispose();

// K steps per run (a backend's placement.stepsPerRun): params and AdamW state stay inside the Loop,
// so the ~85 MB of new params/state is copied back to JS once per K steps instead of every step.
const loopTimes = [];
if (LOOP > 0) {
  const loopSpec = buildBlock();
  const loopProgram = buildLoopTrainStep({ ...loopSpec, optimizer: new AdamW(), maxGradNorm: 1 });
  const loopBackend = new OnnxRuntimeBackend().configure({ worker: false });
  const loopSession = await TrainSession.create(loopBackend, { loop: loopProgram }, init);
  const stack = (t) => {
    const data = new Float32Array(LOOP * t.data.length);
    for (let k = 0; k < LOOP; k++) data.set(t.data, k * t.data.length);
    return { dtype: 'float32', dims: [LOOP, ...t.dims], data };
  };
  const stacked = { x: stack(batch.x), target: stack(batch.target) };
  const lrs = new Array(LOOP).fill(1e-4);
  const runs = Math.max(2, Math.ceil(STEPS / LOOP));
  for (let i = 0; i < runs + 1; i++) {
    const t0 = performance.now();
    const r = await loopSession.steps(stacked, lrs);
    const ms = performance.now() - t0;
    if (i >= 1) loopTimes.push(ms / LOOP);
    if (!r.every((x) => Number.isFinite(x.loss))) throw new Error('loop loss is not finite');
  }
  await loopSession.dispose();
  await loopBackend.dispose();
}
// Measured before and after the train step; the higher one is the (conservative) denominator, since
// other load on a small shared VM only ever lowers a measurement.
const peakAfter = await measureMatmulPeak();
const peak = peakAfter.gflops > peakBefore.gflops ? peakAfter : peakBefore;
const load1 = loadavg()[0];
console.log(`fp32 MatMul peak: ${peak.gflops.toFixed(1)} GFLOP/s (${peak.shape.join('x')}, ${peak.threads} threads; before/after ${peakBefore.gflops.toFixed(1)}/${peakAfter.gflops.toFixed(1)})`);

const tokens = B * S;
const N = 3 * D * D + D * D + 2 * D * MLP; // matmul weights of the block
const denseFlop = 6 * N * tokens;
// QKᵀ and A·V: 2·B·H·S²·dh each forward, ×3 for forward + backward (full S×S, the mask is not exploited).
const attnFlop = 3 * 2 * (2 * B * H * S * S * (D / H));
// What actually runs: no dX for the block input (it is not trainable), so the first GEMM's backward is dW only.
const executedFlop = denseFlop - 2 * 3 * D * D * tokens + attnFlop;
const ms = median(times);
const gflops = (denseFlop + attnFlop) / (ms * 1e6);
console.log(`tokens ${tokens} (batch ${B} × seq ${S}); FLOPs/step: 6·N·T = ${(denseFlop / 1e9).toFixed(2)} G (N=${N}) + attention ${(attnFlop / 1e9).toFixed(2)} G`);
console.log(`train step on ${args.backend} (fwd+bwd+clip+AdamW, 1 run): median ${ms.toFixed(1)} ms over ${STEPS} steps → ${gflops.toFixed(1)} GFLOP/s`);
console.log(`  (executed FLOPs ${(executedFlop / 1e9).toFixed(2)} G → ${(executedFlop / (ms * 1e6)).toFixed(1)} GFLOP/s; step times ${times.map((t) => t.toFixed(0)).join(', ')} ms)`);
console.log(`ratio to MatMul peak: ${((100 * gflops) / peak.gflops).toFixed(1)}%`);
if (loopTimes.length) {
  const lms = median(loopTimes);
  const lg = (denseFlop + attnFlop) / (lms * 1e6);
  console.log(`Loop, ${LOOP} steps per run: median ${lms.toFixed(1)} ms per step → ${lg.toFixed(1)} GFLOP/s, ${((100 * lg) / peak.gflops).toFixed(1)}% of peak (per-step times ${loopTimes.map((t) => t.toFixed(0)).join(', ')} ms)`);
}
console.log(`peak RSS: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB; 1-min load average ${load0.toFixed(2)} before, ${load1.toFixed(2)} after${Math.max(load0, load1) > 0.5 ? ' (busy machine: wall times are noisy)' : ''}`);
if (args.profile) {
  const file = latestProfile(`${args.profile}-step`);
  const prof = summariseProfile(file, { skipRuns: 2 });
  console.log(`kernel time per train step (onnxruntime profile ${file}, ${prof.runs} runs): mean ${prof.totalMs.toFixed(1)} ms, sum of per-node minima ${prof.minTotalMs.toFixed(1)} ms`);
  for (const o of prof.byOp) console.log(`  ${o.op.padEnd(20)} mean ${o.ms.toFixed(1).padStart(7)} ms  min ${o.minMs.toFixed(1).padStart(7)} ms  ${String(o.nodes).padStart(3)} nodes`);
}
