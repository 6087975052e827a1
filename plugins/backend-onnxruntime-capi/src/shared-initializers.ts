/**
 * Frozen weights shared by every session of a backend (issue 17): one OrtValue per weight, given to each session that
 * names it with `AddInitializer`. The model names such a weight as external data and carries no copy of it, so a
 * session has nothing of its own to load, fold or keep. The value reads a frozen model's own array in place (marked
 * by freezeHostArray: never written), so the weight costs nothing beyond the host's array; any other array is
 * copied once (AddInitializer takes only memory the caller owns, and a copy cannot change when the host array is
 * written later, e.g. a policy's starting weights updated in place). A value lives while a session uses it.
 */
import type { ExternalTensorData } from '@aligntune/core/engine';
import type { Ptr } from './ort-api.js';
import { releaseValue, wrapHost } from './ort-value.js';

interface Shared {
  readonly value: Ptr;
  /** The bytes the value points into (the host's own when frozen, else a copy), held while it lives. */
  readonly copy: Uint8Array;
  users: number;
}

/** What a session was given: its initializers by name, and how to give them back when it is released. */
export interface SessionInitializers {
  readonly byName: ReadonlyMap<string, Ptr>;
  release(): void;
}

export class SharedInitializers {
  private readonly values = new Map<string, Shared>();
  private readonly buffers = new WeakMap<ArrayBufferLike, number>();
  private nextBuffer = 0;

  /** Values alive (one per distinct weight) and their bytes, for tests and diagnostics. */
  get stats(): { values: number; bytes: number } {
    let bytes = 0;
    for (const shared of this.values.values()) bytes += shared.copy.byteLength;
    return { values: this.values.size, bytes };
  }

  /** The values for a session's external initializers (those that name their tensor), created or reused. */
  acquire(entries: readonly ExternalTensorData[], cpuInfo: Ptr): SessionInitializers {
    const keys: string[] = [];
    const byName = new Map<string, Ptr>();
    try {
      for (const entry of entries) {
        if (!entry.initializer) continue;
        const key = this.key(entry);
        const shared = this.values.get(key) ?? this.create(key, entry, cpuInfo);
        shared.users++;
        keys.push(key);
        byName.set(entry.initializer.name, shared.value);
      }
    } catch (error) {
      this.release(keys);
      throw error;
    }
    return { byName, release: () => this.release(keys) };
  }

  /** The same bytes (same buffer, offset and length) as the same tensor type and dims share one value. */
  private key(entry: ExternalTensorData): string {
    const { data, initializer } = entry;
    let buffer = this.buffers.get(data.buffer);
    if (buffer === undefined) this.buffers.set(data.buffer, (buffer = this.nextBuffer++));
    return `${buffer}:${data.byteOffset}:${data.byteLength}:${initializer!.dataType}:${initializer!.dims.join('x')}`;
  }

  private create(key: string, entry: ExternalTensorData, cpuInfo: Ptr): Shared {
    const { data, initializer } = entry;
    // a frozen model's own arrays are never written: read in place; anything else is copied once
    const copy = entry.frozen ? data : data.slice();
    const value = wrapHost({ dtype: 'uint8', dims: [copy.byteLength], data: copy }, cpuInfo, initializer);
    const shared: Shared = { value, copy, users: 0 };
    this.values.set(key, shared);
    return shared;
  }

  private release(keys: readonly string[]): void {
    for (const key of keys) {
      const shared = this.values.get(key)!;
      if (--shared.users > 0) continue;
      releaseValue(shared.value);
      this.values.delete(key);
    }
  }
}
