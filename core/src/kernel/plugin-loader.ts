import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { getContributionMetadata, type Constructor } from './contribution.js';
import type { ContributionRecord } from './contribution-registry.js';
import { PluginError, type PluginManifest } from './plugin-manifest.js';

/** How a plugin's entry module is imported: its entry file by default; by package name in the test harness. */
export type PluginImporter = (manifest: PluginManifest) => Promise<Record<string, unknown>>;

export const importEntryFile: PluginImporter = async (manifest) => (await import(pathToFileURL(manifest.entry).href)) as Record<string, unknown>;

/** What a plugin delivered: the records of its declared contributions, and what it exported without declaring. */
export interface LoadedPlugin {
  records: ContributionRecord[];
  /** Decorated classes the entry exports for contributions the manifest does not declare: not registered. */
  undeclared: string[];
}

/**
 * Imports a plugin's entry module and registers exactly what its manifest declares: a declared contribution the
 * entry does not export is an error; an exported decorated class the manifest does not declare is left out
 * (an accidental export must not become a contribution) and reported.
 */
export async function loadPluginContributions(manifest: PluginManifest, importer: PluginImporter = importEntryFile): Promise<LoadedPlugin> {
  let exports: Record<string, unknown>;
  try {
    exports = await importer(manifest);
  } catch (error) {
    throw new PluginError(manifest.name, `importing ${manifest.entry} failed: ${(error as Error).message}`);
  }
  return declaredContributions(manifest, exports, manifest.usesTsyringe ? await tsyringeConstructor(manifest) : undefined);
}

/** The records of what `manifest` declares, from the plugin's imported entry module `exports`. */
export function declaredContributions(
  manifest: PluginManifest,
  exports: Record<string, unknown>,
  construct?: (cls: Constructor) => ContributionRecord['construct'],
): LoadedPlugin {
  const classes = contributionClasses(exports);
  if (classes.length === 0) {
    throw new PluginError(
      manifest.name,
      `its entry ${manifest.entry} registers nothing: export at least one class decorated with @Algorithm, @Reward, @DatasetLoader, ... from @aligntune/core`,
    );
  }
  const exported = classes.flatMap((cls) => recordsOf(cls, manifest.name, construct));
  checkDeclaredContributions(manifest, exported);
  checkTraits(manifest, exported);
  const records = exported.filter((record) => isDeclared(manifest, record));
  const undeclared = exported
    .filter((record) => !isDeclared(manifest, record))
    .map(({ kind, id, cls }) => `${kind} "${id}" (class ${cls.name}) is exported but not declared in package.json "aligntune.provides", so it is not registered`);
  return { records, undeclared };
}

function isDeclared(manifest: PluginManifest, record: ContributionRecord): boolean {
  return manifest.provides[record.kind]?.includes(record.id) ?? false;
}

/** Builds records for a decorated class; `source` names who registered it. */
export function recordsOf(
  cls: Constructor,
  source: string,
  construct?: (cls: Constructor) => ContributionRecord['construct'],
): ContributionRecord[] {
  const metadata = getContributionMetadata(cls);
  if (!metadata) throw new PluginError(source, `class ${cls.name} carries no aligntune contribution decorator`);
  return metadata.ids.map((id) => ({ kind: metadata.kind, id, cls, metadata, source, construct: construct?.(cls) }));
}

function contributionClasses(exports: Record<string, unknown>): Constructor[] {
  const classes = new Set<Constructor>();
  for (const value of Object.values(exports)) {
    if (getContributionMetadata(value)) classes.add(value as Constructor);
  }
  return [...classes];
}

/** A plugin must deliver everything it declares, or lazy loading would lie. */
function checkDeclaredContributions(manifest: PluginManifest, records: ContributionRecord[]): void {
  for (const [kind, ids] of Object.entries(manifest.provides)) {
    for (const id of ids ?? []) {
      if (!records.some((r) => r.kind === kind && r.id === id)) {
        throw new PluginError(manifest.name, `package.json declares ${kind} "${id}" in "aligntune.provides", but the entry does not export it`);
      }
    }
  }
}

/** The manifest's traits are what core chose by before importing: the decorator must declare the same values. */
function checkTraits(manifest: PluginManifest, records: ContributionRecord[]): void {
  for (const [kind, byId] of Object.entries(manifest.traits ?? {})) {
    for (const [id, traits] of Object.entries(byId ?? {})) {
      const metadata = records.find((r) => r.kind === kind && r.id === id)!.metadata as unknown as Record<string, unknown>;
      for (const [key, value] of Object.entries(traits)) {
        if (metadata[key] === value) continue;
        const declared = metadata[key] === undefined ? 'does not declare it' : `declares ${JSON.stringify(metadata[key])}`;
        throw new PluginError(manifest.name, `package.json "aligntune.traits.${kind}.${id}.${key}" is ${JSON.stringify(value)}, but its decorator ${declared}: the two must agree`);
      }
    }
  }
}

interface TsyringeContainer {
  createChildContainer(): TsyringeContainer;
  register(token: string, provider: { useValue: unknown }): unknown;
  resolve(token: Constructor): unknown;
}

/**
 * Plugins written against tsyringe keep their decorators unchanged: their classes are resolved by the
 * plugin's own tsyringe container (so @injectable, @singleton, @inject(token), @injectAll behave as the
 * author expects), with the kernel's services registered into a per-instance child container.
 */
async function tsyringeConstructor(manifest: PluginManifest): Promise<(cls: Constructor) => ContributionRecord['construct']> {
  let container: TsyringeContainer;
  try {
    const path = createRequire(join(manifest.dir, 'package.json')).resolve('tsyringe');
    const tsyringe = (await import(pathToFileURL(path).href)) as { container?: TsyringeContainer; default?: { container: TsyringeContainer } };
    container = tsyringe.container ?? tsyringe.default!.container;
  } catch (error) {
    throw new PluginError(manifest.name, `it depends on tsyringe, which cannot be loaded from ${manifest.dir}: ${(error as Error).message}`);
  }
  return (cls) => (bindings) => {
    const child = container.createChildContainer();
    for (const [token, value] of bindings) child.register(token, { useValue: value });
    return child.resolve(cls);
  };
}
