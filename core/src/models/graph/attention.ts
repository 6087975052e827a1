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
  /**
   * `slots`: the additive bias [batch, slots] (0 for a visible slot, MASKED_BIAS otherwise) of the layers with
   * sliding window `window` (null: full attention); one per distinct window, asked for once each.
   */
  readonly slotBias?: (window: number | null) => Tensor;
  /** `concat`: the layer's past keys/values [batch, kv, past, d]; `slots`: [batch, kv, 1, slots, d] (already broadcastable over `rep`, so the big buffer is never reshaped — onnxruntime copies reshaped graph inputs). */
  readonly past?: (layer: number) => KvPair;
  /** Length of the current tokens (input_ids' seq dim). */
  readonly queryLen: Dim;
  /** Each layer's sliding window (`layerWindows`): a key is visible only when query − key < window; null or absent: full causal attention. */
  readonly windows?: readonly (number | null)[];
}

/** What one layer's attention does differently from softmax(q·k / √headDim) (Gemma 2/3). */
export interface LayerAttention {
  /** Multiplies q·k instead of headDim^−1/2 (Gemma's query_pre_attn_scalar^−1/2). */
  readonly scale?: number;
  /** Scores become cap·tanh(scores / cap) before the mask is added (Gemma 2's attn_logit_softcapping). */
  readonly softcap?: number | null;
}

/**
 * Causal self-attention with an additive mask bias built once per forward and distinct sliding window, shared by
 * the layers with that window.
 * Grouped-query attention never repeats K/V: queries are viewed as [batch, kv, rep, seq, d] and the
 * matmuls broadcast keys [batch, kv, 1, len, d] over the `rep` axis.
 */
export class AttentionContext {
  readonly presents: KvPair[] = [];
  private readonly biases = new Map<number | null, Tensor>();

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
  attend(layer: number, q: Tensor, k: Tensor, v: Tensor, options: LayerAttention = {}): Tensor {
    const { g } = this;
    const [, , heads, d] = q.shape as [Dim, Dim, number, number];
    const kvHeads = k.shape[2] as number;
    const rep = heads / kvHeads;
    const qh = g.transpose(g.reshape(q, [q.shape[0]!, q.shape[1]!, kvHeads, rep, d]), [0, 2, 3, 1, 4]);
    const kh = g.transpose(k, [0, 2, 1, 3]);
    const vh = g.transpose(v, [0, 2, 1, 3]);
    const scores = (keys: Tensor) => this.scores(qh, keys, options.scale ?? 1 / Math.sqrt(d), options.softcap ?? null);
    const window = this.options.windows?.[layer] ?? null;
    const ctx = this.options.mode === 'slots' ? this.attendSlots(layer, kh, vh, scores, window) : this.attendFull(layer, kh, vh, scores, window);
    // [b, kv, rep, t, d] → [b, t, kv, rep, d] → [b, t, heads·d]
    return g.reshape(g.transpose(ctx, [0, 3, 1, 2, 4]), [q.shape[0]!, q.shape[1]!, heads * d]);
  }

  /** q·kᵀ·scale of queries [b, kv, rep, t, d] against keys [b, kv, (1,) len, d], soft-capped when `softcap` is set. */
  private scores(qh: Tensor, keys: Tensor, scale: number, softcap: number | null): Tensor {
    const { g } = this;
    const raw = g.matmul(qh, keys.shape.length === 4 ? g.unsqueeze(keys, [2]) : keys, { transB: true, alpha: scale });
    return softcap === null ? raw : g.mul(g.tanh(g.mul(raw, 1 / softcap)), softcap);
  }

  private attendFull(layer: number, kh: Tensor, vh: Tensor, scores: (keys: Tensor) => Tensor, window: number | null): Tensor {
    const { g } = this;
    let keys = kh;
    let values = vh;
    if (this.options.mode === 'concat') {
      const past = this.options.past!(layer);
      keys = g.concat([past.key, kh], 2);
      values = g.concat([past.value, vh], 2);
    }
    this.presents[layer] = { key: keys, value: values };
    return g.matmul(g.softmax(g.add(scores(keys), this.bias(keys.shape[2]!, window))), g.unsqueeze(values, [2]));
  }

  /** Scores against the slot buffer and the new keys are concatenated (small), so the buffer is only read. */
  private attendSlots(layer: number, kh: Tensor, vh: Tensor, scores: (keys: Tensor) => Tensor, window: number | null): Tensor {
    const { g } = this;
    if (this.options.queryLen !== 1) throw new Error('slots attention decodes one token per step (input_ids [batch, 1])');
    const past = this.options.past!(layer);
    this.presents[layer] = { key: kh, value: vh };
    const slots = past.key.shape[3]!;
    const pastScores = g.add(scores(past.key), this.bias(slots, window));
    const probs = g.softmax(g.concat([pastScores, scores(kh)], -1));
    const [pPast, pNew] = g.split(probs, -1, [slots, 1]);
    return g.add(g.matmul(pPast!, past.value), g.matmul(pNew!, g.unsqueeze(vh, [2])));
  }

  /** The additive bias [batch, 1, 1, seq, keyLen] of the layers with sliding window `window`, built on first use. */
  private bias(keyLen: Dim, window: number | null): Tensor {
    let bias = this.biases.get(window);
    if (!bias) {
      bias = this.options.mode === 'slots' ? this.g.unsqueeze(this.options.slotBias!(window), [1, 2, 3]) : this.maskBias(keyLen, window);
      this.biases.set(window, bias);
    }
    return bias;
  }

  /** Key j is visible to query i (absolute slot keyLen − seq + i) when j ≤ that slot, inside the window, and not padding. */
  private maskBias(keyLen: Dim, window: number | null): Tensor {
    const { g } = this;
    const { attentionMask, queryLen, dtype } = this.options;
    const offset = g.sub(g.dimValue(keyLen), g.dimValue(queryLen));
    const qPos = g.unsqueeze(g.add(g.arange(queryLen), offset), [1]);
    const kPos = g.unsqueeze(g.arange(keyLen), [0]);
    let visible = g.lessOrEqual(kPos, qPos);
    if (window !== null) visible = g.and(visible, g.greater(kPos, g.sub(qPos, window)));
    const real = g.unsqueeze(g.cast(attentionMask!, 'bool'), [1, 2, 3]);
    return g.where(g.and(real, visible), g.scalar(0, dtype), g.scalar(MASKED_BIAS, dtype));
  }
}
