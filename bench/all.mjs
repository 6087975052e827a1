#!/usr/bin/env node
// `npm run bench`: in one run, the machine's MatMul peak, then SFT, DPO and GRPO train steps and generation
// on fixed GPT-2-small-sized configurations, each in its own process (so each peak RSS is its own), printed
// as tokens/s and MFU = achieved GFLOP/s ÷ the peak measured here (before and after; the higher is used);
// then, where a python with torch is found, the eager float32 PyTorch peer (bench/pytorch-peer.py) of the SFT
// and DPO steps, same threads and tokens, and the ratio PyTorch's step time ÷ ours.
// Usage: npm run bench [-- --layers 12 --only sft,dpo,grpo,generation,pytorch --threads N --python PATH --json]
import { execFileSync, spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { computeThreads } from '@aligntune/core';
import { measureMatmulPeak } from './lib/matmul-peak.mjs';
import { TRAIN_BENCHES } from './lib/train-bench.mjs';

const { values: args } = parseArgs({
  options: {
    layers: { type: 'string', default: '12' },
    only: { type: 'string', default: 'sft,dpo,grpo,generation,pytorch' },
    // both sides use the same intra-op threads; default: what our compute backends use (computeThreads())
    threads: { type: 'string', default: String(computeThreads()) },
    python: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});
const only = new Set(args.only.split(','));
const here = import.meta.dirname;
const threads = ['--threads', args.threads];

/** Runs a bench script in a child process and parses the JSON it prints last. */
function child(script, argv, command = process.execPath) {
  const out = execFileSync(command, [join(here, script), ...argv, '--json'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 * 2 ** 20 });
  return JSON.parse(out.trim().split('\n').at(-1));
}

/**
 * The first python (--python, else `python3` on PATH, else /usr/bin/python3, where Debian's python3-torch installs)
 * whose torch is worth comparing with: `{ python, probe }`, or `{ skipped }` saying why there is none.
 */
function findPytorch() {
  const tried = [];
  for (const python of args.python ? [args.python] : ['python3', '/usr/bin/python3']) {
    const run = spawnSync(python, [join(here, 'pytorch-peer.py'), '--probe', ...threads], { encoding: 'utf8' });
    if (run.status !== 0) {
      tried.push(`${python}: ${run.error?.message ?? run.stderr.trim().split('\n').at(-1)}`);
      continue;
    }
    const probe = JSON.parse(run.stdout.trim().split('\n').at(-1));
    if (probe.referenceBlas) {
      const gflops = probe.matmulGflops.toFixed(1);
      return { skipped: `${python}'s torch ${probe.torch} runs its matmuls on the reference BLAS (${probe.blas}, ${gflops} GFLOP/s), no measure of eager PyTorch: give it an optimised BLAS (Debian: apt-get install libopenblas0-openmp)` };
    }
    return { python, probe };
  }
  return { skipped: `no python with torch (${tried.join('; ')})` };
}
const loadBefore = loadavg()[0];
const peakBefore = await measureMatmulPeak({ threads: Number(args.threads) });
const rows = [];
for (const algo of ['sft', 'dpo', 'grpo'].filter((a) => only.has(a))) {
  const r = child('train.mjs', ['--algo', algo, '--layers', args.layers, ...threads]);
  const seconds = r.stepSeconds.reduce((a, x) => a + x, 0) / r.stepSeconds.length;
  rows.push({ algo, name: `${algo} train step`, detail: `${r.model}; ${r.shape}`, tokensPerSecond: r.tokensPerSecond, gflops: r.achievedGflops, peakRssBytes: r.peakRssBytes, seconds, stepSeconds: r.stepSeconds });
}
if (only.has('generation')) {
  for (const g of child('generation.mjs', ['--batch', '8', '--prompt', '64', '--new', '64', '--weights', 'input', '--layers', args.layers, ...threads])) {
    rows.push({ name: 'generation (decode)', detail: `batch ${g.batch}, prompt ${g.prompt}, ${g.new} new tokens, weights as inputs`, tokensPerSecond: g.decodeTokensPerSecond, gflops: g.decodeGflops, peakRssBytes: g.peakRssBytes });
  }
}
const peakAfter = await measureMatmulPeak({ threads: Number(args.threads) });
const peak = Math.max(peakBefore.gflops, peakAfter.gflops);
for (const r of rows) r.mfu = r.gflops / peak;

// The PyTorch peer after ours, each step kind in its own process: the bench's rows and tokens, as many timed steps
// as ours (after one warm-up step, as ours drops its first), the same statistic (mean seconds per step).
const peered = rows.filter((r) => r.algo === 'sft' || r.algo === 'dpo');
const pytorch = !only.has('pytorch') ? { skipped: 'not asked for (--only)' } : peered.length === 0 ? { skipped: 'no SFT or DPO step ran' } : findPytorch();
if (pytorch.python) {
  for (const r of peered) {
    const { rows: batch, seq } = TRAIN_BENCHES[r.algo];
    const peer = child('pytorch-peer.py', ['--algo', r.algo, '--layers', args.layers, '--rows', String(batch), '--seq', String(seq), '--steps', String(r.stepSeconds.length), ...threads], pytorch.python);
    r.pytorch = { seconds: peer.meanSeconds, stepSeconds: peer.stepSeconds, peakRssBytes: peer.peakRssBytes, ratio: peer.meanSeconds / r.seconds };
  }
}

if (args.json) {
  console.log(JSON.stringify({ peakGflops: peak, peakBefore: peakBefore.gflops, peakAfter: peakAfter.gflops, loadBefore, threads: Number(args.threads), pytorch: pytorch.python ? { python: pytorch.python, ...pytorch.probe } : pytorch, rows }));
} else {
  console.log(`fp32 MatMul peak: ${peak.toFixed(1)} GFLOP/s (before ${peakBefore.gflops.toFixed(1)}, after ${peakAfter.gflops.toFixed(1)}; ${peakBefore.threads} threads; 1-min load before ${loadBefore.toFixed(2)})`);
  console.log('');
  const gib = (bytes) => `${(bytes / 2 ** 30).toFixed(2)} GiB`;
  const secondsCell = (s) => (s === undefined ? '' : `${s.toFixed(2)} s`);
  const ratioCell = (r) => (r.pytorch ? `${r.pytorch.ratio.toFixed(2)}×` : '');
  console.log(`${'benchmark'.padEnd(22)} ${'tokens/s'.padStart(9)} ${'GFLOP/s'.padStart(8)} ${'MFU'.padStart(6)} ${'peak RSS'.padStart(9)} ${'s/step'.padStart(8)} ${'PyTorch'.padStart(8)} ${'PyTorch÷ours'.padStart(12)}  configuration`);
  for (const r of rows) {
    console.log(
      `${r.name.padEnd(22)} ${r.tokensPerSecond.toFixed(1).padStart(9)} ${r.gflops.toFixed(1).padStart(8)} ${`${(100 * r.mfu).toFixed(1)}%`.padStart(6)} ${gib(r.peakRssBytes).padStart(9)} ${secondsCell(r.seconds).padStart(8)} ${secondsCell(r.pytorch?.seconds).padStart(8)} ${ratioCell(r).padStart(12)}  ${r.detail}`,
    );
  }
  console.log('');
  if (pytorch.python) {
    const p = pytorch.probe;
    const rss = peered.map((r) => `${r.algo} ${gib(r.pytorch.peakRssBytes)}`).join(', ');
    console.log(`PyTorch: eager float32 torch ${p.torch} (${pytorch.python}, BLAS ${p.blas}, its MatMul ${p.matmulGflops.toFixed(1)} GFLOP/s), ${p.threads} threads like ours; mean s/step after 1 warm-up step; peak RSS ${rss}`);
  } else {
    console.log(`PyTorch peer skipped: ${pytorch.skipped}`);
  }
  if (loadBefore > 0.5) console.log(`\nwarning: the 1-minute load average was ${loadBefore.toFixed(2)} before the run; numbers from a busy machine are low`);
}
