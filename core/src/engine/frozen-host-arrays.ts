/** Buffers of host arrays that are never written again: a frozen model's own weights (stored parts, loaded frozen). */
const frozen = new WeakSet<ArrayBufferLike>();

/**
 * Marks `data`'s buffer as never written again, so a backend may read it in place for as long as a graph uses it
 * (ort-capi's shared initializers) instead of keeping a copy. Only for arrays nothing else holds to write into: a
 * frozen model's stored weights, or weights it loaded for itself; never a policy's starting weights.
 */
export function freezeHostArray(data: ArrayBufferView): void {
  frozen.add(data.buffer);
}

/** Whether `data`'s buffer was marked by freezeHostArray. */
export function isFrozenHostArray(data: ArrayBufferView): boolean {
  return frozen.has(data.buffer);
}
