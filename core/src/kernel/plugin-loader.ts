import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { getContributionMetadata, type Constructor } from './contribution.js';
import type { ContributionRecord } from './contribution-registry.js';
import { PluginError, type PluginManifest } from './plugin-manifest.js';

/** Imports a plugin's entry module and turns its decorated exports into contribution records. */
export async function loadPluginContributions(manifest: PluginManifest): Promise<ContributionRecord[]> {
  let exports: Record<string, unknown>;
  try {
    exports = (await import(pathToFileURL(manifest.entry).href)) as Record<string, unknown>;
  } catch (error) {
    throw new PluginError(manifest.name, `importing ${manifest.entry} failed: ${(error as Error).message}`);
  }
  const classes = contributionClasses(exports);
  if (classes.length === 0) {
    throw new PluginError(
      manifest.name,
      `its entry ${manifest.entry} registers nothing: export at least one class decorated with @Algorithm, @Reward, @DatasetLoader, ... from @aligntune/core`,
    );
  }
  const construct = manifest.usesTsyringe ? await tsyringeConstructor(manifest) : undefined;
  const records = classes.flatMap((cls) => recordsOf(cls, manifest.name, construct));
  checkDeclaredContributions(manifest, records);
  return records;
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

/** A plugin that declares `provides` must deliver exactly what it declared, or lazy loading would lie. */
function checkDeclaredContributions(manifest: PluginManifest, records: ContributionRecord[]): void {
  if (!manifest.provides) return;
  for (const [kind, ids] of Object.entries(manifest.provides)) {
    for (const id of ids ?? []) {
      if (!records.some((r) => r.kind === kind && r.id === id)) {
        throw new PluginError(manifest.name, `package.json declares ${kind} "${id}" in "aligntune.provides", but the entry does not export it`);
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
