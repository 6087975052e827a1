/**
 * `fields` with a `data` property that `read` computes at each access and nothing keeps: a large array (weights or
 * optimizer state read out of a compute backend, converted for saving) then exists only while its reader holds it,
 * so a save that reads tensor after tensor materialises one at a time. `data` is enumerable, as an own value would be.
 */
export function withDataOnRead<F extends object, D>(fields: F, read: () => D): F & { readonly data: D } {
  return Object.defineProperty({ ...fields }, 'data', { enumerable: true, get: read }) as F & { readonly data: D };
}
