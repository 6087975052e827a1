/** One compiled session, shared by every compile of the same key until the last handle on it is released. */
export interface CachedSession<S> {
  readonly key: string;
  readonly session: S;
  /** Created with profiling on: its profile is flushed when it is freed. */
  readonly profiling: boolean;
  refs: number;
}

/**
 * A backend's compiled sessions by cache key (`compileCacheKey`), reference-counted: a compile of bytes already
 * compiled shares the session, and the session leaves the cache with its last handle. Freeing it is the
 * backend's (each frees sessions its own way), so `release` only says when that is due.
 */
export class SessionCache<S> {
  /** Sessions created vs. compiles served from the cache; for tests and diagnostics. */
  readonly stats = { sessionsCreated: 0, cacheHits: 0 };
  private readonly entries = new Map<string, CachedSession<S>>();

  get size(): number {
    return this.entries.size;
  }

  /** One more handle on the session cached under `key`; `create` runs only when none is. */
  acquire(key: string, profiling: boolean, create: () => S): CachedSession<S> {
    const cached = this.entries.get(key);
    if (cached) {
      this.stats.cacheHits++;
      cached.refs++;
      return cached;
    }
    const entry: CachedSession<S> = { key, session: create(), profiling, refs: 1 };
    this.entries.set(key, entry);
    this.stats.sessionsCreated++;
    return entry;
  }

  /** Drops one handle; true when it was the last one of a session still cached, which has now left the cache and is the caller's to free. */
  release(entry: CachedSession<S>): boolean {
    entry.refs--;
    if (entry.refs > 0 || this.entries.get(entry.key) !== entry) return false;
    this.entries.delete(entry.key);
    return true;
  }

  /** Every cached session, emptying the cache (the backend is being disposed). */
  drain(): CachedSession<S>[] {
    const all = [...this.entries.values()];
    this.entries.clear();
    return all;
  }
}
