#!/usr/bin/env node
// Forward logits of a frozen model stored in bf16/fp16 or quantized (nf4, fp4, int4, int8; block 64) against the
// same model in float32, on a tiny GPT-2 and a GPT-2-small-shaped one (random init as transformers initialises
// it): the largest logit error relative to the largest |logit|, the mean KL(fp32 ‖ stored) per token, and the
// forward's time per run (the decode's cost). docs/precision.md has the table.
// Usage: npm run build && node bench/quantization-error.mjs [--shapes tiny,small] [--rows 2 --seq 32]
import { parseArgs } from 'node:util';
import { DecoderModel, declareTokenInputs, emitModel, encodeModel, Graph, hostValues, hostWeights, initWeights, parseModelConfig, storeFrozen, toCanonicalWeights } from '@aligntune/core';
import { OnnxRuntimeBackend } from '@aligntune/plugin-backend-onnxruntime';
import { Gpt2Architecture, GPT2_MODEL_TYPES } from '@aligntune/plugin-arch-gpt2';

const { values: args } = parseArgs({ options: { shapes: { type: 'string', default: 'tiny,small' }, rows: { type: 'string', default: '2' }, seq: { type: 'string', default: '32' } } });
const SHAPES = {
  tiny: { n_embd: 64, n_layer: 2, n_head: 4, vocab_size: 512 },
  small: { n_embd: 768, n_layer: 12, n_head: 12, vocab_size: 50257 },
};
const STORAGES = {
  bf16: { precision: 'bf16' },
  fp16: { precision: 'fp16' },
  int8: { precision: 'fp32', quantization: { format: 'int8', blockSize: 64 } },
  int4: { precision: 'fp32', quantization: { format: 'int4', blockSize: 64 } },
  fp4: { precision: 'fp32', quantization: { format: 'fp4', blockSize: 64 } },
  nf4: { precision: 'fp32', quantization: { format: 'nf4', blockSize: 64 } },
};
const rows = Number(args.rows);
const seq = Number(args.seq);
const backend = new OnnxRuntimeBackend().configure({ intraOpNumThreads: 2 });

function modelOf(shape) {
  const config = parseModelConfig({ architectures: ['GPT2LMHeadModel'], model_type: 'gpt2', n_positions: 1024, bos_token_id: 0, eos_token_id: 0, ...SHAPES[shape] }, GPT2_MODEL_TYPES, 'bench.json');
  const { weights, prefix } = toCanonicalWeights(config, initWeights(config, 0));
  return new DecoderModel({ config, architecture: new Gpt2Architecture(), weights: hostWeights(weights), prefix });
}

/** Logits [rows·seq, vocab] of `model` on `ids`, and the mean time of a few runs. */
async function logits(model, ids) {
  const g = new Graph('qerr');
  const inputs = declareTokenInputs(g);
  const { hidden, weights } = model.forward(g, inputs, 'input', 'ref.');
  const compiled = await backend.compile(encodeModel(emitModel(g, { outputs: { logits: model.lmLogits(g, weights, hidden) } })), { label: 'qerr' });
  const dims = [rows, seq];
  const feeds = {
    ...model.namedWeights('ref.'),
    input_ids: { dtype: 'int64', dims, data: BigInt64Array.from(ids, BigInt) },
    attention_mask: { dtype: 'int64', dims, data: new BigInt64Array(rows * seq).fill(1n) },
    position_ids: { dtype: 'int64', dims, data: BigInt64Array.from({ length: rows * seq }, (_, i) => BigInt(i % seq)) },
  };
  const run = () => compiled.run(Object.fromEntries(compiled.inputNames.map((n) => [n, feeds[n]])));
  const out = hostValues((await run()).logits);
  const start = performance.now();
  for (let i = 0; i < 3; i++) await run();
  const ms = (performance.now() - start) / 3;
  await compiled.dispose();
  return { out, ms };
}

function compare(ref, got, vocab) {
  let maxErr = 0;
  let maxLogit = 0;
  let kl = 0;
  for (let t = 0; t < ref.length / vocab; t++) {
    const a = ref.subarray(t * vocab, (t + 1) * vocab);
    const b = got.subarray(t * vocab, (t + 1) * vocab);
    const la = logSoftmax(a);
    const lb = logSoftmax(b);
    for (let j = 0; j < vocab; j++) {
      maxErr = Math.max(maxErr, Math.abs(a[j] - b[j]));
      maxLogit = Math.max(maxLogit, Math.abs(a[j]));
      kl += Math.exp(la[j]) * (la[j] - lb[j]);
    }
  }
  return { relMaxError: maxErr / maxLogit, meanKl: kl / (ref.length / vocab) };
}

function logSoftmax(x) {
  const m = Math.max(...x);
  const lse = m + Math.log(x.reduce((s, v) => s + Math.exp(v - m), 0));
  return Array.from(x, (v) => v - lse);
}

for (const shape of args.shapes.split(',')) {
  const model = modelOf(shape);
  const vocab = model.config.vocabSize;
  let seed = 7;
  const ids = Array.from({ length: rows * seq }, () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % vocab);
  const fp32 = await logits(model, ids);
  console.log(`${shape}: gpt2 ${model.config.numLayers}×${model.config.hiddenSize}, vocab ${vocab}, ${rows}×${seq} tokens; fp32 forward ${fp32.ms.toFixed(1)} ms`);
  for (const [label, storage] of Object.entries(STORAGES)) {
    const stored = await logits(storeFrozen(model, storage), ids);
    const { relMaxError, meanKl } = compare(fp32.out, stored.out, vocab);
    console.log(`  ${label.padEnd(5)} max |Δlogit| / max |logit| ${relMaxError.toExponential(2)}   mean KL ${meanKl.toExponential(2)}   forward ${stored.ms.toFixed(1)} ms`);
  }
}
