import type { Kernel, StoredTensor } from '@aligntune/core';
import * as grpo from '@aligntune/plugin-algo-grpo';
import * as rewards from '@aligntune/plugin-rewards-builtin';
import { trainingKernel } from './helpers.js';

/** trainingKernel() plus the GRPO family and the built-in rewards (registered from source, as their packages would be). */
export function grpoKernel(): Kernel {
  const kernel = trainingKernel();
  for (const module of [grpo, rewards]) {
    for (const value of Object.values(module)) {
      if (typeof value === 'function' && Reflect.getOwnMetadata(Symbol.for('aligntune.contribution'), value)) kernel.registerClass(value as never);
    }
  }
  return kernel;
}

/**
 * Compares a saved SGD update (after − before) with −lr·∇L, ∇L by float64 central differences of `loss` at
 * `before`, on the largest update of every tensor plus a pseudo-random entry: the relative error of the update.
 */
export function updateError(
  before: ReadonlyMap<string, StoredTensor>,
  after: ReadonlyMap<string, StoredTensor>,
  loss: (weights: Map<string, Float64Array>) => number,
  lr: number,
): { relError: number; checked: number } {
  const weights = new Map([...before].map(([name, t]) => [name, Float64Array.from(t.data as Float32Array)]));
  let diff2 = 0;
  let ref2 = 0;
  let checked = 0;
  let seed = 12345;
  for (const [name, w] of weights) {
    const start = before.get(name)!.data as Float32Array;
    const delta = Array.from(after.get(name)!.data as Float32Array, (v, i) => v - start[i]!);
    const largest = delta.reduce((best, d, i) => (Math.abs(d) > Math.abs(delta[best]!) ? i : best), 0);
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    for (const i of new Set([largest, seed % w.length])) {
      const h = 1e-5;
      const saved = w[i]!;
      w[i] = saved + h;
      const plus = loss(weights);
      w[i] = saved - h;
      const minus = loss(weights);
      w[i] = saved;
      const expected = (-lr * (plus - minus)) / (2 * h);
      diff2 += (delta[i]! - expected) ** 2;
      ref2 += expected ** 2;
      checked++;
    }
  }
  return { relError: Math.sqrt(diff2 / ref2), checked };
}
