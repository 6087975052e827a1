#!/usr/bin/env node
// Step time and peak RSS of each training mode (full fine-tune, LoRA, QLoRA, with and without gradient checkpointing)
// for SFT, DPO and GRPO on the GPT-2-small shape: each run is bench/train.mjs in its own process, so each peak RSS
// is its own. Prints a markdown table (docs/performance.md, "Modes").
// Usage: npm run build && node bench/modes.mjs [--algos sft,dpo,grpo] [--modes full,gc,lora,qlora,qlora-gc] [--steps 3] [--threads N] [--layers 12] [--json]
import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

/** What each mode adds to bench/train.mjs's arguments (LoRA: PEFT's defaults, r 16, alpha 32 on q/k/v/o). */
const MODES = {
  full: [],
  gc: ['--gradient-checkpointing'],
  lora: ['--lora', '16'],
  'lora-bf16': ['--lora', '16', '--precision', 'bf16'],
  qlora: ['--lora', '16', '--quantization', 'nf4', '--precision', 'bf16'],
  'qlora-gc': ['--lora', '16', '--quantization', 'nf4', '--precision', 'bf16', '--gradient-checkpointing'],
};

const { values: args } = parseArgs({
  options: {
    algos: { type: 'string', default: 'sft,dpo,grpo' },
    modes: { type: 'string', default: 'full,gc,lora,qlora,qlora-gc' },
    steps: { type: 'string', default: '3' },
    threads: { type: 'string' },
    layers: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});
const modes = args.modes.split(',');
const unknown = modes.filter((m) => !(m in MODES));
if (unknown.length) {
  console.error(`--modes: unknown ${unknown.join(', ')} (known: ${Object.keys(MODES).join(', ')})`);
  process.exit(2);
}
const shared = ['--steps', args.steps, ...(args.threads ? ['--threads', args.threads] : []), ...(args.layers ? ['--layers', args.layers] : [])];

function run(algo, mode) {
  const argv = [join(import.meta.dirname, 'train.mjs'), '--algo', algo, ...MODES[mode], ...shared, '--json'];
  const out = execFileSync(process.execPath, argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 * 2 ** 20 });
  const r = JSON.parse(out.trim().split('\n').at(-1));
  const seconds = r.stepSeconds.reduce((a, x) => a + x, 0) / r.stepSeconds.length;
  return { algo, mode, shape: r.shape, secondsPerStep: seconds, peakRssGiB: r.peakRssBytes / 2 ** 30, load: loadavg()[0] };
}

const rows = [];
for (const algo of args.algos.split(',')) for (const mode of modes) rows.push(run(algo, mode));
if (args.json) {
  console.log(JSON.stringify(rows));
} else {
  console.log('| algorithm | shape | mode | s / step | vs full | peak RSS | vs full | load |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    const full = rows.find((f) => f.algo === r.algo && f.mode === 'full');
    const ratio = (x, y) => (full ? `${(x / y).toFixed(2)}×` : '–');
    console.log(`| ${r.algo} | ${r.shape} | ${r.mode} | ${r.secondsPerStep.toFixed(2)} | ${ratio(r.secondsPerStep, full?.secondsPerStep)} | ${r.peakRssGiB.toFixed(2)} GiB | ${ratio(r.peakRssGiB, full?.peakRssGiB)} | ${r.load.toFixed(1)} |`);
  }
}
