import type { ContributionMetadata, Constructor } from './contribution.js';
import type { ExtensionKind } from './extension-point.js';

/** One registered contribution: which class provides kind+id, and which plugin (or script) registered it. */
export interface ContributionRecord {
  kind: ExtensionKind;
  id: string;
  cls: Constructor;
  metadata: ContributionMetadata;
  /** Package name of the plugin, or "<programmatic>" for registry calls from a script. */
  source: string;
  /** Construct through this function instead of the inversify container (tsyringe plugins). */
  construct?: (bindings: ReadonlyMap<string, unknown>) => unknown;
}

export class DuplicateContributionError extends Error {
  constructor(
    readonly kind: ExtensionKind,
    readonly id: string,
    readonly sources: [string, string],
  ) {
    super(`duplicate ${kind} "${id}": provided by both ${sources[0]} and ${sources[1]}`);
    this.name = 'DuplicateContributionError';
  }
}

/** String-keyed registries, one per extension kind, that reject duplicates loudly. */
export class ContributionRegistry {
  private readonly byKind = new Map<ExtensionKind, Map<string, ContributionRecord>>();

  add(record: ContributionRecord): void {
    const registry = this.kindMap(record.kind);
    const existing = registry.get(record.id);
    if (existing) throw new DuplicateContributionError(record.kind, record.id, [existing.source, record.source]);
    registry.set(record.id, record);
  }

  /** Checks a batch first so a plugin is registered entirely or not at all. */
  addAll(records: readonly ContributionRecord[]): void {
    const seen = new Map<string, string>();
    for (const record of records) {
      const key = `${record.kind}\u0000${record.id}`;
      const existing = this.get(record.kind, record.id)?.source ?? seen.get(key);
      if (existing !== undefined) throw new DuplicateContributionError(record.kind, record.id, [existing, record.source]);
      seen.set(key, record.source);
    }
    for (const record of records) this.add(record);
  }

  remove(kind: ExtensionKind, id: string): boolean {
    return this.kindMap(kind).delete(id);
  }

  get(kind: ExtensionKind, id: string): ContributionRecord | undefined {
    return this.byKind.get(kind)?.get(id);
  }

  ids(kind: ExtensionKind): string[] {
    return [...(this.byKind.get(kind)?.keys() ?? [])].sort();
  }

  all(): ContributionRecord[] {
    return [...this.byKind.values()].flatMap((registry) => [...registry.values()]);
  }

  private kindMap(kind: ExtensionKind): Map<string, ContributionRecord> {
    let registry = this.byKind.get(kind);
    if (!registry) {
      registry = new Map();
      this.byKind.set(kind, registry);
    }
    return registry;
  }
}
