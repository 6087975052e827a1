import { createHash } from 'node:crypto';
import type { CompileOptions } from './graph-executor.js';

/**
 * The key a backend caches a compiled session under: sha256 of the model bytes, plus what else shapes the session
 * (external weights, the profiling prefix, whether sessions keep working memory between runs).
 */
export function compileCacheKey(model: Uint8Array, externalData: CompileOptions['externalData'], profileFilePrefix: string | undefined, reuseMemory: boolean): string {
  const hash = createHash('sha256').update(model);
  for (const { path, data } of externalData ?? []) hash.update(`\0external:${path}:${data.byteLength}\0`).update(data);
  if (profileFilePrefix !== undefined) hash.update(`\0profile:${profileFilePrefix}`);
  if (!reuseMemory) hash.update('\0no-reuse');
  return hash.digest('hex');
}
