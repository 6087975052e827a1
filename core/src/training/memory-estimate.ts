import { formatBytes } from '../config/byte-size.js';
import { VOCAB_CHUNK } from '../models/graph/lm-head.js';
import type { HfModelConfig } from '../models/hf-model-config.js';

/** What one optimizer step of a run holds, as far as it can be known before the first step. */
export interface StepMemoryInputs {
  readonly model: Pick<HfModelConfig, 'hiddenSize' | 'numLayers' | 'numHeads' | 'vocabSize'>;
  /** Bytes of the trained weights (policy, plus a trained value model). */
  readonly trainableBytes: number;
  /** Bytes of frozen weights the run keeps (reference, reward model), as stored: bf16 2 bytes a weight, 4-bit about half a byte. */
  readonly frozenBytes: number;
  /** Optimizer state tensors per weight (AdamW 2). */
  readonly optimizerSlots: number;
  /** Whether a step holds the old and the new weights and optimizer state at once (a host-tensor backend updating in one run). */
  readonly hostCopies: boolean;
  /** Sequences in one micro-batch (a preference pair is two) and their length in tokens. */
  readonly sequences: number;
  readonly tokens: number;
  /** Gradient checkpointing: one layer's activations at a time, plus every layer's input. */
  readonly recompute?: boolean;
}

export interface StepMemoryEstimate {
  /** Bytes by part, largest first in `describe`. */
  readonly parts: Readonly<Record<string, number>>;
  readonly total: number;
}

/** The process itself: Node, onnxruntime's library, the tokenizer and the data (a tiny model's run peaks at ≈ 0.55 GiB). */
const RUNTIME_BYTES = 0.6 * 2 ** 30;
/**
 * onnxruntime's arena holds more than the live activations at the peak (chunks rounded up, transient packed
 * weights): calibrated on the GPT-2-small SFT and DPO benches (docs/performance.md).
 */
const ARENA_SLACK = 1.25;
const FLOAT = 4;

/**
 * The memory of one step: weights, gradients and optimizer state, frozen weights, the extra copy a host-tensor
 * backend makes, and the activations kept for the backward pass: per layer ~16·d floats per token and two
 * [heads, T, T] attention maps per sequence (one layer's, plus each layer's input, with gradient checkpointing),
 * plus the logits, their log-softmax and its gradient (3·V per token; with gradient checkpointing one vocabulary
 * chunk's, 3·4096 per token, plus the head's weight split into the chunks, V·d).
 */
export function estimateStepMemory(i: StepMemoryInputs): StepMemoryEstimate {
  const { hiddenSize: d, numLayers: layers, numHeads: heads, vocabSize: vocab } = i.model;
  const tokens = i.sequences * i.tokens;
  const perLayer = tokens * 16 * d + i.sequences * 2 * heads * i.tokens * i.tokens;
  const layerActivations = i.recompute ? perLayer + layers * tokens * d : layers * perLayer;
  const head = i.recompute && vocab > VOCAB_CHUNK ? 3 * tokens * VOCAB_CHUNK + vocab * d : 3 * tokens * vocab;
  const parts: Record<string, number> = {
    weights: i.trainableBytes,
    gradients: i.trainableBytes,
    'optimizer state': i.optimizerSlots * i.trainableBytes,
    activations: ARENA_SLACK * FLOAT * (layerActivations + head),
    runtime: RUNTIME_BYTES,
  };
  if (i.frozenBytes > 0) parts['frozen weights'] = i.frozenBytes;
  if (i.hostCopies) parts['updated copies'] = (1 + i.optimizerSlots) * i.trainableBytes;
  return { parts, total: Object.values(parts).reduce((a, b) => a + b, 0) };
}

/** "activations 1.50 GiB, optimizer state 0.93 GiB, ...": the parts, largest first. */
export function describeEstimate(estimate: StepMemoryEstimate): string {
  return Object.entries(estimate.parts)
    .sort(([, a], [, b]) => b - a)
    .map(([part, bytes]) => `${part} ${formatBytes(bytes)}`)
    .join(', ');
}
