#!/usr/bin/env node
// Generation benchmark: prefill and decode tokens/s of RolloutEngine (KV slot cache, softmax in the graphs, the draw in JS) for a
// GPT-2-small-sized model (124M parameters, random init), with weights fed as graph inputs (what a policy
// under training uses) and baked in as initializers. Reports peak RSS. `--weights resident` (ort-capi) feeds weights
// kept inside onnxruntime, overwritten just before each generation as a policy update does (live weights, no recompile).
// `sampling` is the draw between two decode runs (on the critical path), also as a share of decode step + sampling.
// `--weights lora,lora-bf16,qlora`: a LoRA policy (r 16, PEFT's default targets, B random so the adapter acts) on a
// frozen base stored as a LoRA run stores it: float32, bf16, or nf4 layers with a bf16 embedding (QLoRA).
// Usage: npm run build && node bench/generation.mjs [--batch 8,64] [--prompt 64] [--new 128] [--weights input,initializer,resident,lora,lora-bf16,qlora] [--backend cpu|ort-capi] [--threads N] [--repeat R] [--top-p 0.95] [--top-k 0]
import os from 'node:os';
import { parseArgs } from 'node:util';
import { DecoderModel, freezeHostArray, hostWeights, initWeights, LoraAdapter, parseModelConfig, storeFrozen, toCanonicalWeights, RolloutEngine } from '@aligntune/core';
import { Gpt2Architecture, GPT2_MODEL_TYPES } from '@aligntune/plugin-arch-gpt2';
import { OnnxRuntimeBackend } from '@aligntune/plugin-backend-onnxruntime';
import { CapiBackend } from '@aligntune/plugin-backend-onnxruntime-capi';

const { values: args } = parseArgs({
  options: {
    batch: { type: 'string', default: '8,64' },
    prompt: { type: 'string', default: '64' },
    new: { type: 'string', default: '128' },
    weights: { type: 'string', default: 'input,initializer' },
    threads: { type: 'string' },
    backend: { type: 'string', default: 'cpu' },
    layers: { type: 'string', default: '12' },
    repeat: { type: 'string', default: '1' },
    // sampling settings of every generation (temperature 1); --top-p 1 --top-k 0 is plain sampling
    'top-p': { type: 'string', default: '0.95' },
    'top-k': { type: 'string', default: '0' },
    json: { type: 'boolean', default: false },
  },
});
const PROMPT = Number(args.prompt);
const NEW = Number(args.new);

const config = parseModelConfig({
  architectures: ['GPT2LMHeadModel'], model_type: 'gpt2', vocab_size: 50257, n_positions: 1024, n_embd: 768,
  n_layer: Number(args.layers), n_head: 12, layer_norm_epsilon: 1e-5, bos_token_id: 50256, eos_token_id: 50256,
}, GPT2_MODEL_TYPES);
let t = performance.now();
const { weights } = toCanonicalWeights(config, initWeights(config, 0));
const model = new DecoderModel({ config, architecture: new Gpt2Architecture(), weights: hostWeights(weights) });
const params = [...model.weights.values()].reduce((s, w) => s + w.data.length, 0);
// --json prints one JSON array at the end (bench/all.mjs reads it) instead of the human lines
const log = args.json ? () => {} : console.log;
const results = [];
// 2·N FLOPs per token through the weights that multiply (layers' 12·d² and the LM head)
const matmulParams = config.numLayers * (4 * config.hiddenSize ** 2 + 2 * config.hiddenSize * config.intermediateSize) + config.vocabSize * config.hiddenSize;
log(`gpt2 ${config.numLayers}×${config.hiddenSize}, ${(params / 1e6).toFixed(1)}M params, init ${((performance.now() - t) / 1000).toFixed(1)} s`);
log(`cpus ${os.availableParallelism()} (${os.cpus()[0]?.model}), load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);

const backend = args.backend === 'ort-capi' ? new CapiBackend() : new OnnxRuntimeBackend();
if (args.threads) backend.configure({ intraOpNumThreads: Number(args.threads) });

function prompts(batch) {
  // deterministic pseudo-random ids, all of length PROMPT
  return Array.from({ length: batch }, (_, b) => Array.from({ length: PROMPT }, (_, i) => (b * 7919 + i * 104729) % 50000));
}

/** `resident`: the weights as the backend's own tensors, fed as inputs; `rewrite` overwrites them (a policy update). */
function residentWeights() {
  if (!backend.resident) throw new Error(`--weights resident needs a backend with resident values (--backend ort-capi), not ${args.backend}`);
  const tensors = Object.fromEntries([...model.weights].map(([name, w]) => [name, backend.resident.create(w)]));
  return { tensors, rewrite: () => { for (const [name, w] of model.weights) tensors[name].write(w); } };
}

/** How each LoRA mode stores the frozen base (bench/train.mjs's --precision / --quantization for the same modes). */
const LORA_BASES = { lora: { precision: 'fp32' }, 'lora-bf16': { precision: 'bf16' }, qlora: { precision: 'bf16', quantization: { format: 'nf4', blockSize: 64 } } };

/** A LoRA policy on a frozen copy of the model's weights (frozen as a run freezes a loaded base: shared between sessions). */
function loraPolicy(mode) {
  const copies = new Map([...model.weights].map(([name, w]) => [name, { ...w, data: Float32Array.from(w.data) }]));
  for (const w of copies.values()) freezeHostArray(w.data);
  const base = storeFrozen(new DecoderModel({ ...model, weights: copies }), LORA_BASES[mode]);
  const settings = { r: 16, loraAlpha: 32, loraDropout: 0, useRslora: false, modulesToSave: [], initLoraWeights: false };
  const adapter = LoraAdapter.create(base, settings, { seed: 0 });
  return adapter.base.withAdapter(adapter);
}

// Every mode's engine is created first, then the modes take turns, batch by batch, `--repeat` rounds: the load of
// a shared machine then weighs on all of them alike, and the ratios come from runs seconds apart.
const engines = [];
for (const mode of args.weights.split(',')) {
  t = performance.now();
  const live = mode === 'resident' ? residentWeights() : undefined;
  const lora = mode in LORA_BASES;
  const engine = await RolloutEngine.create(lora ? loraPolicy(mode) : model, backend, { weights: live || lora ? 'input' : mode });
  const liveWeights = live ? { weights: live.tensors } : {};
  const compileMs = performance.now() - t;
  // warm-up: a short run so session allocation is not timed
  await engine.generate(prompts(2), { maxNewTokens: 2, seed: 1, eosTokenIds: [], ...liveWeights });
  engines.push({ mode, engine, live, liveWeights, compileMs });
}
for (let round = 0; round < Number(args.repeat); round++) {
  for (const batch of args.batch.split(',').map(Number)) {
    for (const { mode, live, engine, liveWeights, compileMs } of engines) {
      live?.rewrite(); // the weights just changed: nothing onnxruntime packed from them before may be reused
      t = performance.now();
      const { stats } = await engine.generate(prompts(batch), { maxNewTokens: NEW, seed: 1, eosTokenIds: [], temperature: 1, topP: Number(args['top-p']), topK: Number(args['top-k']), ...liveWeights });
      const totalMs = performance.now() - t;
      const decodeTokens = batch * stats.decodeSteps;
      const decodeStepMs = stats.decodeMs / stats.decodeSteps;
      const samplingStepMs = stats.samplingMs / (stats.decodeSteps + 1);
      const samplingShare = samplingStepMs / (samplingStepMs + decodeStepMs);
      results.push({ weights: mode, batch, round, prompt: PROMPT, new: NEW, decodeStepMs, weightLayoutMs: stats.weightLayoutMs, samplingStepMs, samplingShare, kvCacheStepMs: stats.kvCacheMs / stats.decodeSteps, prefillTokensPerSecond: (batch * PROMPT) / (stats.prefillMs / 1000), decodeTokensPerSecond: decodeTokens / (stats.decodeMs / 1000), endToEndTokensPerSecond: (batch * NEW) / (totalMs / 1000), decodeGflops: (2 * matmulParams * decodeTokens) / (stats.decodeMs / 1000) / 1e9, peakRssBytes: process.resourceUsage().maxRSS * 1024 });
      log(
        [
          `weights=${mode.padEnd(11)} batch=${String(batch).padStart(3)} prompt=${PROMPT} new=${NEW} round=${round}`,
          `prefill ${((batch * PROMPT) / (stats.prefillMs / 1000)).toFixed(0)} tok/s (${stats.prefillMs.toFixed(0)} ms)`,
          `weight layout ${stats.weightLayoutMs.toFixed(0)} ms`,
          `decode ${(decodeTokens / (stats.decodeMs / 1000)).toFixed(1)} tok/s (${decodeStepMs.toFixed(1)} ms/step)`,
          `sampling ${samplingStepMs.toFixed(1)} ms/step = ${(100 * samplingShare).toFixed(0)} % of decode + sampling`,
          `KV cache ${(stats.kvCacheMs / stats.decodeSteps).toFixed(2)} ms/step`,
          `end-to-end ${((batch * NEW) / (totalMs / 1000)).toFixed(1)} tok/s`,
          `compile ${(compileMs / 1000).toFixed(1)} s`,
          `peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`,
        ].join(' | '),
      );
    }
  }
}
logRatios();
for (const { engine, live } of engines) {
  await engine.dispose();
  for (const tensor of Object.values(live?.tensors ?? {})) tensor.dispose();
}

/** Per batch: each mode's median and fastest decode step, its ratio to `initializer` in the same round (median over rounds) and of the fastest rounds. */
function logRatios() {
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
  for (const batch of new Set(results.map((r) => r.batch))) {
    const of = (mode) => results.filter((r) => r.batch === batch && r.weights === mode);
    const baseline = of('initializer');
    for (const mode of new Set(results.map((r) => r.weights))) {
      const ratios = baseline.length ? of(mode).map((r) => r.decodeStepMs / baseline.find((b) => b.round === r.round).decodeStepMs) : [];
      const steps = of(mode).map((r) => r.decodeStepMs);
      const fastest = (rows) => Math.min(...rows.map((r) => r.decodeStepMs));
      const ratioLine = ratios.length ? ` | ratio to initializer: median of rounds ${median(ratios).toFixed(2)}× (rounds: ${ratios.map((x) => x.toFixed(2)).join(' ')}), of fastest steps ${(fastest(of(mode)) / fastest(baseline)).toFixed(2)}×` : '';
      const sampling = median(of(mode).map((r) => r.samplingStepMs));
      const share = median(of(mode).map((r) => r.samplingShare));
      log(`batch=${batch} weights=${mode.padEnd(11)} decode median ${median(steps).toFixed(1)} ms/step, fastest ${Math.min(...steps).toFixed(1)}, sampling median ${sampling.toFixed(1)} ms/step (${(100 * share).toFixed(0)} %)` + ratioLine);
    }
  }
}
await backend.dispose();
if (args.json) console.log(JSON.stringify(results));
log(`load average after: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
