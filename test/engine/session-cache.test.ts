import { describe, expect, it } from 'vitest';
import { SessionCache } from '@aligntune/core/engine';

describe('SessionCache', () => {
  it('shares a session per key and hands it back to be freed with its last handle only', () => {
    const cache = new SessionCache<string>();
    let created = 0;
    const create = () => `session ${++created}`;
    const a = cache.acquire('k', false, create);
    const b = cache.acquire('k', false, create);
    expect(b).toBe(a);
    expect(cache.stats).toEqual({ sessionsCreated: 1, cacheHits: 1 });
    expect(cache.release(a)).toBe(false);
    expect(cache.release(b)).toBe(true);
    expect(cache.size).toBe(0);
    expect(cache.acquire('k', true, create).session).toBe('session 2');
  });

  it('does not cache a session whose creation threw, and a drained entry is never freed twice', () => {
    const cache = new SessionCache<string>();
    expect(() => cache.acquire('bad', false, () => { throw new Error('rejected'); })).toThrow('rejected');
    expect(cache.size).toBe(0);
    const entry = cache.acquire('k', true, () => 's');
    expect(cache.drain()).toEqual([entry]);
    expect(cache.release(entry)).toBe(false);
  });
});
