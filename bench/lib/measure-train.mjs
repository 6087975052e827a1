#!/usr/bin/env node
// One `aligntune train` in this process (the built CLI), measured: wall seconds, seconds until the first
// optimizer step is logged (metrics.jsonl gets its first line), and peak RSS (worker threads included).
// Usage: node bench/lib/measure-train.mjs <config.yaml> <metrics.jsonl>; prints one JSON line.
import { existsSync, readFileSync } from 'node:fs';
import { runCli } from '../../core/dist/cli/run-cli.js';

const [config, metrics] = process.argv.slice(2);
const start = performance.now();
let firstStepSeconds;
const poll = setInterval(() => {
  if (firstStepSeconds === undefined && existsSync(metrics) && readFileSync(metrics, 'utf8').includes('\n')) firstStepSeconds = (performance.now() - start) / 1000;
}, 20);
let stderr = '';
const code = await runCli(['train', '--config', config], { stdout: () => undefined, stderr: (text) => void (stderr += text) });
clearInterval(poll);
const seconds = (performance.now() - start) / 1000;
console.log(JSON.stringify({ code, seconds, firstStepSeconds: firstStepSeconds ?? seconds, peakRssBytes: process.resourceUsage().maxRSS * 1024, stderr: stderr.slice(-2000) }));
process.exit(0);
