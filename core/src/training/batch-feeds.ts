import type { SequenceBatch } from '../data/collate.js';
import type { HostTensor } from '../engine/graph-executor.js';

/** int32 token arrays → the int64 tensors `declareTokenInputs` declares. */
export function int64Tensor(values: Int32Array, dims: readonly number[]): HostTensor {
  const data = new BigInt64Array(values.length);
  for (let i = 0; i < values.length; i++) data[i] = BigInt(values[i]!);
  return { dtype: 'int64', dims: [...dims], data };
}

export function float32Tensor(values: ArrayLike<number>, dims: readonly number[]): HostTensor {
  return { dtype: 'float32', dims: [...dims], data: Float32Array.from(values) };
}

/** `input_ids`, `attention_mask`, `position_ids` feeds of a collated batch (names as declareTokenInputs). */
export function tokenFeeds(batch: SequenceBatch, prefix = ''): Record<string, HostTensor> {
  const dims = [batch.rows, batch.length];
  return {
    [`${prefix}input_ids`]: int64Tensor(batch.inputIds, dims),
    [`${prefix}attention_mask`]: int64Tensor(batch.attentionMask, dims),
    [`${prefix}position_ids`]: int64Tensor(batch.positionIds, dims),
  };
}

/** Real (non-padding) tokens in a batch. */
export function realTokens(batch: SequenceBatch): number {
  let n = 0;
  for (const m of batch.attentionMask) n += m;
  return n;
}
