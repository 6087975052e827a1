import type { HostTensor } from '../../engine/graph-executor.js';
import { MASKED_BIAS } from '../graph/attention.js';
import { kvNames } from '../graph/generation-graphs.js';

export interface KvShape {
  readonly layers: number;
  readonly kvHeads: number;
  readonly headDim: number;
  /** The distinct sliding windows of the layers (null: full attention); each has its own bias. Default: [null]. */
  readonly windows?: readonly (number | null)[];
}

/**
 * The decode graphs' key/value cache, kept in JS: per layer a [rows, kvHeads, 1, slots, headDim] buffer fed
 * zero-copy every step, plus the [rows, slots] additive bias saying which slots a row's next query sees (one per
 * distinct sliding window of the layers: a slot that left a window is hidden from those layers only).
 * A step returns only the new token's keys/values, which are written into their slot here, so no run
 * copies the whole cache in or out.
 */
export class KvSlots {
  readonly keys: Float32Array[];
  readonly values: Float32Array[];
  /** Sliding window (null: none) → its [rows, slots] bias. */
  readonly biases: ReadonlyMap<number | null, Float32Array>;

  constructor(
    readonly shape: KvShape,
    readonly rows: number,
    readonly slots: number,
  ) {
    const size = rows * shape.kvHeads * slots * shape.headDim;
    this.keys = Array.from({ length: shape.layers }, () => new Float32Array(size));
    this.values = Array.from({ length: shape.layers }, () => new Float32Array(size));
    this.biases = new Map((shape.windows ?? [null]).map((w) => [w, new Float32Array(rows * slots).fill(MASKED_BIAS)]));
  }

  /** Copies a prefill's presents ([prompts, kvHeads, len, headDim]) into slots 0..len−1 of each row; `promptOf[row]` picks the prompt. */
  loadPrefill(presents: Readonly<Record<string, HostTensor>>, promptOf: readonly number[], mask: readonly (readonly number[])[]): void {
    const { kvHeads, headDim } = this.shape;
    for (let l = 0; l < this.shape.layers; l++) {
      for (const [buffer, name] of [[this.keys[l]!, kvNames.presentKey(l)], [this.values[l]!, kvNames.presentValue(l)]] as const) {
        const src = presents[name]!.data as Float32Array;
        const len = presents[name]!.dims[2]!;
        promptOf.forEach((p, r) => {
          for (let h = 0; h < kvHeads; h++) buffer.set(src.subarray((p * kvHeads + h) * len * headDim, (p * kvHeads + h + 1) * len * headDim), (r * kvHeads + h) * this.slots * headDim);
        });
      }
    }
    for (const bias of this.biases.values()) promptOf.forEach((p, r) => mask[p]!.forEach((m, j) => (bias[r * this.slots + j] = m ? 0 : MASKED_BIAS)));
  }

  /** Writes a step's new keys/values ([rows, kvHeads, 1, headDim]) into `slot` and makes the slot visible. */
  write(presents: Readonly<Record<string, HostTensor>>, slot: number): void {
    const { kvHeads, headDim } = this.shape;
    for (let l = 0; l < this.shape.layers; l++) {
      for (const [buffer, name] of [[this.keys[l]!, kvNames.presentKey(l)], [this.values[l]!, kvNames.presentValue(l)]] as const) {
        const src = presents[name]!.data as Float32Array;
        for (let rh = 0; rh < this.rows * kvHeads; rh++) buffer.set(src.subarray(rh * headDim, (rh + 1) * headDim), (rh * this.slots + slot) * headDim);
      }
    }
    for (const bias of this.biases.values()) for (let r = 0; r < this.rows; r++) bias[r * this.slots + slot] = 0;
  }

  /** Hides, in each window's bias, the slots that fell out of that window for a query at `querySlot` (visible when query − key < window). */
  applyWindows(querySlot: number): void {
    for (const [window, bias] of this.biases) {
      if (window === null || querySlot - window < 0) continue;
      const last = querySlot - window;
      for (let r = 0; r < this.rows; r++) bias.fill(MASKED_BIAS, r * this.slots, r * this.slots + Math.min(last + 1, this.slots));
    }
  }

  /** The feeds of a decode step: every window's `slot_bias` and every `past_key_values.N.*` (views, no copies). */
  feeds(): Record<string, HostTensor> {
    const { kvHeads, headDim } = this.shape;
    const dims = [this.rows, kvHeads, 1, this.slots, headDim];
    const out: Record<string, HostTensor> = {};
    for (const [window, bias] of this.biases) out[kvNames.slotBias(window)] = { dtype: 'float32', dims: [this.rows, this.slots], data: bias };
    for (let l = 0; l < this.shape.layers; l++) {
      out[kvNames.pastKey(l)] = { dtype: 'float32', dims, data: this.keys[l]! };
      out[kvNames.pastValue(l)] = { dtype: 'float32', dims, data: this.values[l]! };
    }
    return out;
  }
}
