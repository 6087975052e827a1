#!/usr/bin/env node
// Train-step benchmark for one algorithm (sft | dpo | grpo) on a GPT-2-small-sized model (random init, the
// real GPT-2 tokenizer): seconds per optimizer step, tokens/s, GFLOP/s and peak RSS against the step's memory
// budget, 2 × (params + grads + AdamW state + reference weights + activations).
// Usage: npm run build && node bench/train.mjs [--algo dpo] [--layers 12] [--rows 2 --seq 64 --steps 3] [--memory-saving auto|off|update|full] [--backend cpu|ort-capi]
//        [--precision fp32|bf16|fp16] [--quantization nf4|fp4|int4|int8] (how frozen models, DPO's reference, are stored)
//        [--separate-reference] (DPO: model.ref_path, a copy, instead of sharing the starting policy's weights) [--gradient-checkpointing] [--json]
//        [--rss-trace] (a phase-by-phase account of RSS: each log line, compile and run, with the peak until the next)
//        [--lora r] (LoRA, PEFT's defaults: alpha 2r on q/k/v/o; with --quantization that is QLoRA) [--shape gpt2|qwen2-0.5b]
//        [--threads N] (intra-op threads; default: the compute backend's, all cores)
import { parseArgs } from 'node:util';
import { runTrainBench, TRAIN_BENCHES } from './lib/train-bench.mjs';

const { values: args } = parseArgs({
  options: {
    algo: { type: 'string', default: 'dpo' },
    layers: { type: 'string' }, // default 12 (gpt2), 24 (qwen2-0.5b)
    rows: { type: 'string' },
    seq: { type: 'string' },
    steps: { type: 'string' },
    'memory-saving': { type: 'string', default: 'auto' },
    backend: { type: 'string' },
    precision: { type: 'string', default: 'fp32' },
    quantization: { type: 'string' },
    'separate-reference': { type: 'boolean', default: false },
    'gradient-checkpointing': { type: 'boolean', default: false },
    lora: { type: 'string' },
    shape: { type: 'string', default: 'gpt2' },
    threads: { type: 'string' },
    json: { type: 'boolean', default: false },
    'rss-trace': { type: 'boolean', default: false },
  },
});
if (!(args.algo in TRAIN_BENCHES)) {
  console.error(`--algo must be one of ${Object.keys(TRAIN_BENCHES).join(', ')}, got ${args.algo}`);
  process.exit(2);
}
// the compute backends take their thread count from the variable `aligntune train` sets per rank (docs/distributed.md)
if (args.threads !== undefined) process.env.ALIGNTUNE_THREADS_PER_RANK = args.threads;
const overrides = Object.fromEntries(['rows', 'seq', 'steps'].filter((k) => args[k] !== undefined).map((k) => [k, Number(args[k])]));
const quantization = args.quantization === undefined ? {} : args.quantization === 'int8' ? { load_in_8bit: true } : { load_in_4bit: true, bnb_4bit_quant_type: args.quantization };
const peft = args.lora === undefined ? {} : { peft: { r: Number(args.lora), lora_alpha: 2 * Number(args.lora) } };
const model = { precision: args.precision, quantization, ...peft };
let trace;
if (args['rss-trace']) {
  const { startRssTrace, traceBackend } = await import('./lib/rss-trace.mjs');
  trace = startRssTrace();
  traceBackend((await import('@aligntune/plugin-backend-onnxruntime-capi')).CapiBackend, trace);
  traceBackend((await import('@aligntune/plugin-backend-onnxruntime')).OnnxRuntimeBackend, trace);
}
const logLine = (message) => trace.mark(`log: ${message.slice(0, 100)}`);
const result = await runTrainBench(args.algo, {
  ...(trace ? { logger: { info: logLine, warn: logLine, debug: () => {} } } : {}),
  ...(args.layers === undefined ? {} : { layers: Number(args.layers) }),
  shape: args.shape,
  memorySaving: args['memory-saving'],
  backend: args.backend,
  model,
  separateReference: args['separate-reference'],
  gradientCheckpointing: args['gradient-checkpointing'],
  ...overrides,
});
if (trace) console.error(trace.report());
if (args.json) {
  console.log(JSON.stringify(result));
} else {
  const gb = (x) => `${(x / 2 ** 30).toFixed(2)} GiB`;
  console.log(`${result.algo} on ${result.model}, ${result.shape}, memory_saving ${args['memory-saving']}${args['gradient-checkpointing'] ? ', gradient checkpointing' : ''}, backend ${args.backend ?? 'default'}, precision ${args.precision}, quantization ${args.quantization ?? 'none'}, lora ${args.lora ?? 'off'}`);
  console.log(`first step incl. setup + compile: ${result.setupSeconds.toFixed(1)} s; then ${result.stepSeconds.map((t) => `${t.toFixed(2)} s`).join(', ')} per step`);
  console.log(`${result.tokensPerSecond.toFixed(0)} tokens/s, ${result.achievedGflops.toFixed(1)} GFLOP/s (${(result.flopsPerStep / 1e9).toFixed(1)} GFLOP per step)`);
  if (result.memoryParts) {
    // the budget is a full fine-tune's (params + grads + AdamW state)
    const budget = 2 * Object.values(result.memoryParts).reduce((a, b) => a + b, 0);
    console.log(`parts: ${Object.entries(result.memoryParts).map(([k, v]) => `${k} ${gb(v)}`).join(', ')}`);
    console.log(`peak RSS ${gb(result.peakRssBytes)} vs budget 2 × ${gb(budget / 2)} = ${gb(budget)} → ${result.peakRssBytes <= budget ? 'within' : 'OVER'} budget (${((result.peakRssBytes / budget) * 100).toFixed(0)}%)`);
  } else {
    console.log(`peak RSS ${gb(result.peakRssBytes)}`);
  }
}
