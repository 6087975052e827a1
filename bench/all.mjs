#!/usr/bin/env node
// `npm run bench`: in one run, the machine's MatMul peak, then SFT, DPO and GRPO train steps and generation
// on fixed GPT-2-small-sized configurations, each in its own process (so each peak RSS is its own), printed
// as tokens/s and MFU = achieved GFLOP/s ÷ the peak measured here (before and after; the higher is used).
// Usage: npm run bench [-- --layers 12 --only sft,dpo,grpo,generation --json]
import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { measureMatmulPeak } from './lib/matmul-peak.mjs';

const { values: args } = parseArgs({
  options: {
    layers: { type: 'string', default: '12' },
    only: { type: 'string', default: 'sft,dpo,grpo,generation' },
    json: { type: 'boolean', default: false },
  },
});
const only = new Set(args.only.split(','));
const here = import.meta.dirname;

/** Runs a bench script in a child process and parses the JSON it prints last. */
function child(script, argv) {
  const out = execFileSync(process.execPath, [join(here, script), ...argv, '--json'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 * 2 ** 20 });
  return JSON.parse(out.trim().split('\n').at(-1));
}

const loadBefore = loadavg()[0];
const peakBefore = await measureMatmulPeak();
const rows = [];
for (const algo of ['sft', 'dpo', 'grpo'].filter((a) => only.has(a))) {
  const r = child('train.mjs', ['--algo', algo, '--layers', args.layers]);
  rows.push({ name: `${algo} train step`, detail: `${r.model}; ${r.shape}`, tokensPerSecond: r.tokensPerSecond, gflops: r.achievedGflops, peakRssBytes: r.peakRssBytes, seconds: r.stepSeconds });
}
if (only.has('generation')) {
  for (const g of child('generation.mjs', ['--batch', '8', '--prompt', '64', '--new', '64', '--weights', 'input', '--layers', args.layers])) {
    rows.push({ name: 'generation (decode)', detail: `batch ${g.batch}, prompt ${g.prompt}, ${g.new} new tokens, weights as inputs`, tokensPerSecond: g.decodeTokensPerSecond, gflops: g.decodeGflops, peakRssBytes: g.peakRssBytes });
  }
}
const peakAfter = await measureMatmulPeak();
const peak = Math.max(peakBefore.gflops, peakAfter.gflops);
for (const r of rows) r.mfu = r.gflops / peak;

if (args.json) {
  console.log(JSON.stringify({ peakGflops: peak, peakBefore: peakBefore.gflops, peakAfter: peakAfter.gflops, loadBefore, rows }));
} else {
  console.log(`fp32 MatMul peak: ${peak.toFixed(1)} GFLOP/s (before ${peakBefore.gflops.toFixed(1)}, after ${peakAfter.gflops.toFixed(1)}; ${peakBefore.threads} threads; 1-min load before ${loadBefore.toFixed(2)})`);
  console.log('');
  console.log(`${'benchmark'.padEnd(22)} ${'tokens/s'.padStart(9)} ${'GFLOP/s'.padStart(8)} ${'MFU'.padStart(6)} ${'peak RSS'.padStart(9)}  configuration`);
  for (const r of rows) {
    console.log(`${r.name.padEnd(22)} ${r.tokensPerSecond.toFixed(1).padStart(9)} ${r.gflops.toFixed(1).padStart(8)} ${`${(100 * r.mfu).toFixed(1)}%`.padStart(6)} ${`${(r.peakRssBytes / 2 ** 30).toFixed(2)} GiB`.padStart(9)}  ${r.detail}`);
  }
  if (loadBefore > 0.5) console.log(`\nwarning: the 1-minute load average was ${loadBefore.toFixed(2)} before the run; numbers from a busy machine are low`);
}
