import type { HfModelConfig, StoredTensor } from '@aligntune/core';
import type { Gpt2Config } from '@aligntune/plugin-arch-gpt2';
import type { LlamaConfig } from '@aligntune/plugin-arch-llama';
import type { GemmaConfig } from '@aligntune/plugin-arch-gemma';
import type { MoeConfig } from '@aligntune/plugin-arch-moe';
import type { Olmo2Config } from '@aligntune/plugin-arch-olmo2';
import type { Phi3Config } from '@aligntune/plugin-arch-phi3';
import type { SmolLM3Config } from '@aligntune/plugin-arch-smollm3';
import { gemmaHidden } from './ref-gemma.js';
import { olmo2Hidden } from './ref-olmo2.js';
import { gpt2Hidden } from './ref-gpt2.js';
import { llamaHidden, type RefLlamaShape } from './ref-llama.js';
import { moeHidden } from './ref-moe.js';
import { phi3AsLlama } from './ref-phi3.js';
import { linear, logSoftmax, type Vec } from './ref-math.js';
import { WeightReader, type RefSequence, type RefWeights } from './ref-types.js';

export type { RefWeights } from './ref-types.js';

export interface ReferenceBatch {
  readonly inputIds: readonly (readonly number[])[];
  /** 1 = real token, 0 = padding; default all ones. */
  readonly attentionMask?: readonly (readonly number[])[];
  /** Default: cumsum(mask) − 1, padding positions set to 1 (HF generation's rule; right padding gives 0..n−1). */
  readonly positionIds?: readonly (readonly number[])[];
  /**
   * Per column, the largest position id of the call that computed it (see RefSequence.ropeMaxPositions), to replay
   * transformers' incremental generation; default: one forward, the batch's largest position id for every column.
   */
  readonly ropeMaxPositions?: readonly number[];
}

export interface ReferenceOutput {
  /** [B][T] → vocabulary logits, or the score head's outputs for *ForSequenceClassification configs. */
  readonly logits: Vec[][];
  /** [B][T] → final hidden state (after the final norm), what the value/score head reads. */
  readonly hidden: Vec[][];
}

/**
 * The float64 oracle: a plain-loop forward of the Hugging Face model for `config`, computed sequence by
 * sequence (so batch composition cannot matter). Values at padding positions are unspecified.
 */
export function referenceForward(config: HfModelConfig, weights: RefWeights, batch: ReferenceBatch): ReferenceOutput {
  const family = config as ReferenceConfig; // the reference knows the built-in plugins' configs
  const { shape, reader } = family.family === 'phi3' ? phi3AsLlama(family, weights) : { shape: llamaShape(family), reader: new WeightReader(weights) };
  const logits: Vec[][] = [];
  const hidden: Vec[][] = [];
  for (const seq of refSequences(batch)) {
    const hs = hiddenOf(family, shape, reader, seq);
    hidden.push(hs);
    logits.push(hs.map((x) => head(config, reader, x)));
  }
  return { logits, hidden };
}

/** The batch split into sequences: masks, positions (positionsFromMask unless given) and each column's RoPE length. */
export function refSequences(batch: ReferenceBatch): RefSequence[] {
  const masks = batch.inputIds.map((ids, b) => batch.attentionMask?.[b] ?? ids.map(() => 1));
  const positions = masks.map((mask, b) => batch.positionIds?.[b] ?? positionsFromMask(mask));
  const batchMaxPosition = Math.max(...positions.flat());
  const ropeMaxPositions = batch.ropeMaxPositions ?? positions[0]!.map(() => batchMaxPosition);
  return batch.inputIds.map((ids, b) => ({ ids, mask: masks[b]!, positions: positions[b]!, ropeMaxPositions }));
}

type ReferenceConfig = Gpt2Config | LlamaConfig | Phi3Config | SmolLM3Config | MoeConfig | GemmaConfig | Olmo2Config;

function hiddenOf(family: ReferenceConfig, shape: RefLlamaShape | undefined, reader: WeightReader, seq: RefSequence): Vec[] {
  if (family.family === 'gpt2') return gpt2Hidden(family, reader, seq);
  if (family.family === 'moe') return moeHidden(family, reader, seq).hidden;
  if (family.family === 'gemma') return gemmaHidden(family, reader, seq);
  if (family.family === 'olmo2') return olmo2Hidden(family, reader, seq);
  return llamaHidden(shape!, reader, seq);
}

/** What Llama's loops read of a Llama or SmolLM3 config (SmolLM3: attention_bias on q/k/v/o, no MLP bias); none for the other families. */
function llamaShape(c: ReferenceConfig): RefLlamaShape | undefined {
  if (c.family === 'smollm3') return { ...c, qkvBias: c.attentionBias, outBias: c.attentionBias, mlpBias: false, qkNorm: false };
  return c.family === 'llama' ? c : undefined;
}

/** HF generation: position_ids = cumsum(mask) − 1, masked_fill(mask == 0, 1). */
export function positionsFromMask(mask: readonly number[]): number[] {
  let n = 0;
  return mask.map((m) => {
    n += m;
    return m === 1 ? n - 1 : 1;
  });
}

function head(c: HfModelConfig, w: WeightReader, x: Vec): Vec {
  if (c.head.kind === 'sequence-classification') return linear(x, w.mat('score.weight', c.head.numLabels, c.hiddenSize));
  const logits = lmHead(c, w, x);
  // Gemma2ForCausalLM / Gemma3ForCausalLM: logits = cap · tanh(logits / cap)
  const cap = c.finalLogitSoftcapping;
  return cap == null ? logits : logits.map((v) => cap * Math.tanh(v / cap));
}

function lmHead(c: HfModelConfig, w: WeightReader, x: Vec): Vec {
  if (!c.tieWordEmbeddings) return linear(x, w.mat('lm_head.weight', c.vocabSize, c.hiddenSize));
  const embed = (c as ReferenceConfig).family === 'gpt2' ? (w.has('transformer.wte.weight') ? 'transformer.wte.weight' : 'wte.weight') : w.has('model.embed_tokens.weight') ? 'model.embed_tokens.weight' : 'embed_tokens.weight';
  return linear(x, w.mat(embed, c.vocabSize, c.hiddenSize));
}

/**
 * Per-token log-probs: entry t is log softmax(logits[t − 1] / temperature)[ids[t]]; entry 0 is NaN (the
 * first token has no prediction), matching the algorithm conventions.
 */
export function tokenLogProbs(logits: readonly Vec[], ids: readonly number[], temperature = 1): Float64Array {
  const out = new Float64Array(ids.length).fill(Number.NaN);
  for (let t = 1; t < ids.length; t++) out[t] = logSoftmax(logits[t - 1]!.map((x) => x / temperature))[ids[t]!]!;
  return out;
}

/** HF *ForSequenceClassification pooling: the score at the last real token of each sequence. */
export function lastTokenScores(output: ReferenceOutput, attentionMask: readonly (readonly number[])[]): Vec[] {
  return output.logits.map((row, b) => row[attentionMask[b]!.lastIndexOf(1)]!);
}

/** Checkpoint tensors (e.g. from initWeights or readCheckpoint) as reference weights. */
export function refWeights(tensors: ReadonlyMap<string, StoredTensor>): Map<string, ArrayLike<number>> {
  const out = new Map<string, ArrayLike<number>>();
  for (const [name, t] of tensors) {
    if (!(t.data instanceof Float32Array || t.data instanceof Float64Array)) throw new Error(`reference: ${name} is ${t.dtype}, not float`);
    out.set(name, t.data);
  }
  return out;
}
