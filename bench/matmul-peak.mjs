#!/usr/bin/env node
// Prints the machine's fp32 MatMul peak through onnxruntime.
// Usage: node bench/matmul-peak.mjs [--threads N] [--json]     (run `npm run build` first)
import { parseArgs } from 'node:util';
import { measureMatmulPeak } from './lib/matmul-peak.mjs';

const { values } = parseArgs({ options: { threads: { type: 'string' }, json: { type: 'boolean', default: false } } });
const threads = values.threads === undefined ? undefined : Number(values.threads);
if (threads !== undefined && !(Number.isInteger(threads) && threads > 0)) {
  console.error(`--threads needs a positive integer, got ${values.threads}`);
  process.exit(2);
}
const peak = await measureMatmulPeak({ threads });
if (peak.loadAverage > 0.5) {
  console.error(`warning: 1-minute load average was ${peak.loadAverage.toFixed(2)} before measuring; the peak is probably low`);
}
if (values.json) {
  console.log(JSON.stringify(peak));
} else {
  for (const { shape, ms, gflops, bestGflops } of peak.all) {
    const row = `${ms.toFixed(2).padStart(8)} ms  ${gflops.toFixed(1).padStart(6)} GFLOP/s (best run ${bestGflops.toFixed(1)})`;
    console.log(`  MatMul ${shape.join('x').padEnd(15)} ${row}`);
  }
  console.log(`fp32 MatMul peak: ${peak.gflops.toFixed(1)} GFLOP/s (${peak.shape.join('x')}, ${peak.ms.toFixed(2)} ms, ${peak.threads} threads)`);
}
