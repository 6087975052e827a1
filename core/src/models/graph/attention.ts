import type { DType } from '../../engine/graph-executor.js';
import type { Dim } from '../../engine/ir/dim.js';
import type { Graph } from '../../engine/ir/graph.js';
import type { Tensor } from '../../engine/ir/tensor.js';

/** Added to the scores of hidden keys. Finite, so a fully hidden row (a left-pad query) is uniform, never NaN. */
export const MASKED_BIAS = -1e9;

/** One layer's keys and values, [batch, kvHeads, length, headDim] (the Optimum / transformers.js layout). */
export interface KvPair {
  readonly key: Tensor;
  readonly value: Tensor;
}

/**
 * How attention sees keys beyond the current tokens:
 * - `none`: only the current tokens (training, scoring, prefill); presents are their keys/values.
 * - `concat`: past keys/values are concatenated in front (the exported transformers.js layout); presents are the concatenation.
 * - `slots`: a fixed key buffer managed by the caller plus a [batch, slots] additive bias; presents are only the
 *   new keys/values, so a decode step neither copies nor returns the whole cache.
 */
export type KvMode = 'none' | 'concat' | 'slots';

export interface AttentionOptions {
  readonly mode: KvMode;
  readonly dtype: DType;
  /** `none`/`concat`: attention_mask [batch, keyLen] (int64, 1 = real token). */
  readonly attentionMask?: Tensor;
  /** `slots`: additive bias [batch, slots] (0 for a visible slot, MASKED_BIAS otherwise). */
  readonly slotBias?: Tensor;
  /** `concat`: the layer's past keys/values [batch, kv, past, d]; `slots`: [batch, kv, 1, slots, d] (already broadcastable over `rep`, so the big buffer is never reshaped — onnxruntime copies reshaped graph inputs). */
  readonly past?: (layer: number) => KvPair;
  /** Length of the current tokens (input_ids' seq dim). */
  readonly queryLen: Dim;
  /** Mistral: a key is visible only when query − key < slidingWindow. */
  readonly slidingWindow?: number | null;
}

/**
 * Causal self-attention with an additive mask bias built once per forward and shared by every layer.
 * Grouped-query attention never repeats K/V: queries are viewed as [batch, kv, rep, seq, d] and the
 * matmuls broadcast keys [batch, kv, 1, len, d] over the `rep` axis.
 */
export class AttentionContext {
  readonly presents: KvPair[] = [];
  private biasTensor: Tensor | undefined;

  constructor(
    private readonly g: Graph,
    readonly options: AttentionOptions,
  ) {
    if (options.mode === 'slots' ? !options.slotBias : !options.attentionMask) throw new Error(`attention mode ${options.mode}: missing mask input`);
    if (options.mode !== 'none' && !options.past) throw new Error(`attention mode ${options.mode}: missing past keys/values`);
  }

  /**
   * q [batch, seq, heads, d], k/v [batch, seq, kvHeads, d] (positions already applied) → [batch, seq, heads·d].
   * Records the layer's present keys/values.
   */
  attend(layer: number, q: Tensor, k: Tensor, v: Tensor): Tensor {
    const { g } = this;
    const [, , heads, d] = q.shape as [Dim, Dim, number, number];
    const kvHeads = k.shape[2] as number;
    const rep = heads / kvHeads;
    const qh = g.transpose(g.reshape(q, [q.shape[0]!, q.shape[1]!, kvHeads, rep, d]), [0, 2, 3, 1, 4]);
    const kh = g.transpose(k, [0, 2, 1, 3]);
    const vh = g.transpose(v, [0, 2, 1, 3]);
    const alpha = 1 / Math.sqrt(d);
    const ctx = this.options.mode === 'slots' ? this.attendSlots(layer, qh, kh, vh, alpha) : this.attendFull(layer, qh, kh, vh, alpha);
    // [b, kv, rep, t, d] → [b, t, kv, rep, d] → [b, t, heads·d]
    return g.reshape(g.transpose(ctx, [0, 3, 1, 2, 4]), [q.shape[0]!, q.shape[1]!, heads * d]);
  }

  private attendFull(layer: number, qh: Tensor, kh: Tensor, vh: Tensor, alpha: number): Tensor {
    const { g } = this;
    let keys = kh;
    let values = vh;
    if (this.options.mode === 'concat') {
      const past = this.options.past!(layer);
      keys = g.concat([past.key, kh], 2);
      values = g.concat([past.value, vh], 2);
    }
    this.presents[layer] = { key: keys, value: values };
    const scores = g.add(g.matmul(qh, g.unsqueeze(keys, [2]), { transB: true, alpha }), this.bias(keys.shape[2]!));
    return g.matmul(g.softmax(scores), g.unsqueeze(values, [2]));
  }

  /** Scores against the slot buffer and the new keys are concatenated (small), so the buffer is only read. */
  private attendSlots(layer: number, qh: Tensor, kh: Tensor, vh: Tensor, alpha: number): Tensor {
    const { g } = this;
    if (qh.shape[3] !== 1) throw new Error('slots attention decodes one token per step (input_ids [batch, 1])');
    const past = this.options.past!(layer);
    this.presents[layer] = { key: kh, value: vh };
    const slots = past.key.shape[3]!;
    const pastScores = g.add(g.matmul(qh, past.key, { transB: true, alpha }), this.bias(slots));
    const newScores = g.matmul(qh, g.unsqueeze(kh, [2]), { transB: true, alpha });
    const probs = g.softmax(g.concat([pastScores, newScores], -1));
    const [pPast, pNew] = g.split(probs, -1, [slots, 1]);
    return g.add(g.matmul(pPast!, past.value), g.matmul(pNew!, g.unsqueeze(vh, [2])));
  }

  /** The additive bias [batch, 1, 1, seq, keyLen], built on first use. */
  bias(keyLen: Dim): Tensor {
    this.biasTensor ??= this.options.mode === 'slots' ? this.g.unsqueeze(this.options.slotBias!, [1, 2, 3]) : this.maskBias(keyLen);
    return this.biasTensor;
  }

  /** Key j is visible to query i (absolute slot keyLen − seq + i) when j ≤ that slot, inside the window, and not padding. */
  private maskBias(keyLen: Dim): Tensor {
    const { g } = this;
    const { attentionMask, queryLen, slidingWindow, dtype } = this.options;
    const offset = g.sub(g.dimValue(keyLen), g.dimValue(queryLen));
    const qPos = g.unsqueeze(g.add(g.arange(queryLen), offset), [1]);
    const kPos = g.unsqueeze(g.arange(keyLen), [0]);
    let visible = g.lessOrEqual(kPos, qPos);
    if (slidingWindow != null) visible = g.and(visible, g.greater(kPos, g.sub(qPos, slidingWindow)));
    const real = g.unsqueeze(g.cast(attentionMask!, 'bool'), [1, 2, 3]);
    return g.where(g.and(real, visible), g.scalar(0, dtype), g.scalar(MASKED_BIAS, dtype));
  }
}
