import { gatedOn } from '../../engine/autodiff/recompute.js';
import type { Graph } from '../../engine/ir/graph.js';
import type { Tensor } from '../../engine/ir/tensor.js';
import type { ElementwiseWeight } from '../architecture.js';
import { mapParts } from './graph-weights.js';

/**
 * The language-model head of one forward: logits = hidden·Wᵀ (the tied embedding [vocab, hidden]) or hidden·W (an
 * untied lm_head [hidden, vocab]), soft-capped (cap·tanh(logits / cap)) when the config says so. Kept with the logits
 * it made under gradient checkpointing (`Graph.checkpointing`), so that the log-probs can be computed from the
 * hidden states in vocabulary chunks instead of from the [batch, seq, vocab] logits (`log-probs.ts`). `stored`: the
 * weight's stored form when it decodes element by element (bf16, fp16), which the chunks slice before decoding.
 */
export class LmHead {
  constructor(
    readonly hidden: Tensor,
    private readonly weight: Tensor,
    private readonly tied: boolean,
    private readonly softcap: number | null | undefined,
    private readonly stored?: ElementwiseWeight,
  ) {}

  get vocabSize(): number {
    return this.weight.shape[this.tied ? 0 : 1] as number;
  }

  /** The logits of the whole vocabulary, or of the vocabulary slice that `weight` (one of `chunkWeights`) holds. */
  logits(g: Graph, hidden = this.hidden, weight = this.weight): Tensor {
    const logits = g.matmul(hidden, weight, { transB: this.tied });
    const cap = this.softcap;
    return cap == null ? logits : g.mul(g.tanh(g.mul(logits, 1 / cap)), cap);
  }

  /**
   * The weight in vocabulary slices of `width` entries (the last one shorter), each made when its chunk asks, with a
   * value that must exist first (`after`). A float32 weight is one Split, whose gradient is one Concat. A stored
   * weight has its stored parts sliced, gated on `after`, and decodes only the slice: its float32 [vocab, hidden]
   * never exists whole, and a chunk's segment decodes its slice again in the backward.
   */
  chunkWeights(g: Graph, width: number): ((after: Tensor) => Tensor)[] {
    const vocab = this.vocabSize;
    const sizes = Array.from({ length: Math.ceil(vocab / width) }, (_, i) => Math.min(width, vocab - i * width));
    const axis = this.tied ? 0 : 1;
    const stored = this.stored;
    if (!stored) return g.split(this.weight, axis, sizes).map((slice) => () => slice);
    return sizes.map((size, j) => (after) => stored.decode(mapParts(stored.parts, (part) => g.slice(gatedOn(g, part, after), axis, j * width, j * width + size))));
  }
}

/**
 * Vocabulary entries per chunk of the LM head under gradient checkpointing ([batch, seq, 4096] floats at a time). A
 * vocabulary of one chunk or less (tiny test models) is not chunked: its whole log-softmax is as small.
 */
export const VOCAB_CHUNK = 4096;

const heads = new WeakMap<Tensor, LmHead>();

/** The logits of `head`; under gradient checkpointing, remembered as made by it (`lmHeadOf`). */
export function headLogits(g: Graph, head: LmHead): Tensor {
  const logits = head.logits(g);
  if (g.checkpointing) heads.set(logits, head);
  return logits;
}

/** The head that made `logits` under gradient checkpointing, if it did. */
export function lmHeadOf(logits: Tensor): LmHead | undefined {
  return heads.get(logits);
}
