import type { StoredTensor } from '@aligntune/core';

/** A checkpoint's float32 tensors widened to float64, for comparing against a float64 reference. */
export const float64 = (tensors: ReadonlyMap<string, StoredTensor>) => new Map([...tensors].map(([n, t]) => [n, Float64Array.from(t.data as Float32Array)]));

/**
 * Rows of the micro-batches of optimizer step `step` (0-based) over a replay file of `rows` rows: without
 * shuffling, each epoch walks the rows in order, `accumulate` micro-batches of `microBatchSize` per step.
 */
export function microBatchesOf(step: number, rows: number, c: { microBatchSize: number; accumulate: number }): number[][] {
  const perEpoch = rows / c.microBatchSize;
  return Array.from({ length: c.accumulate }, (_, k) => {
    const at = ((step * c.accumulate + k) % perEpoch) * c.microBatchSize;
    return Array.from({ length: c.microBatchSize }, (_, i) => at + i);
  });
}

/** A logged float32 metric against its float64 value: relative 1e-4, absolute 1e-6 near 0. */
export const close = (logged: number, expected: number) => Math.abs(logged - expected) <= 1e-4 * Math.max(Math.abs(expected), 1e-2);
