import { getContributionMetadata, type Constructor } from '../kernel/contribution.js';
import type { ExtensionKind } from '../kernel/extension-point.js';
import { Kernel } from '../kernel/kernel.js';
import { findPackageDir, pluginIn } from '../kernel/plugin-discovery.js';
import { PluginError, type PluginManifest } from '../kernel/plugin-manifest.js';
import { registriesOf, type KindRegistries } from '../kernel/registries.js';

/**
 * A plugin package by name (imported when first needed), a package with its entry module already imported
 * (registered at once, so a synchronous check such as `validateConfig(config, kernel)` sees its classes), or
 * a decorated class (a test double).
 */
export type TestPlugin = string | { name: string; module: object } | Constructor;

export interface TestKernelOptions {
  /**
   * Packages are read through their manifests as discovery reads an installed one: only their declared
   * contributions count. One named alone is imported by package name, so a test runner's source aliases apply.
   * Classes are registered as a script registers them, and replace a package's contribution of the same kind
   * and id.
   */
  plugins?: ReadonlyArray<TestPlugin>;
  /** The run config contributions receive (Tokens.Config) when `create` is given none. */
  config?: unknown;
  /** Bound as Tokens.Logger. */
  logger?: unknown;
  /** Where plugin packages are looked up, as Node resolves them (default: the working directory). */
  projectDir?: string;
}

export interface TestKernel {
  kernel: Kernel;
  /** The seed's script registries (`reward.register('x', Cls)`), as views on this kernel alone. */
  registries: KindRegistries;
}

/**
 * A fresh kernel with the given plugins, for tests (Backstage's startTestBackend): no process-wide state, so
 * nothing needs resetting, and plugins go through the same manifest path as an installed application's.
 */
export function startTestKernel(options: TestKernelOptions = {}): TestKernel {
  const kernel = new Kernel({ logger: options.logger, config: options.config });
  const doubles = (options.plugins ?? []).filter((plugin): plugin is Constructor => typeof plugin === 'function');
  for (const cls of doubles) kernel.registerClass(cls, 'test');
  const replaced = new Set(doubles.flatMap((cls) => contributionKeys(cls)));
  for (const plugin of options.plugins ?? []) {
    if (typeof plugin === 'function') continue;
    const name = typeof plugin === 'string' ? plugin : plugin.name;
    const manifest = withoutReplaced(testManifest(name, options.projectDir ?? process.cwd()), replaced);
    if (typeof plugin === 'string') kernel.addManifest(manifest, () => import(name) as Promise<Record<string, unknown>>);
    else kernel.addLoadedPlugin(manifest, plugin.module as Record<string, unknown>);
  }
  return { kernel, registries: registriesOf(kernel) };
}

function testManifest(name: string, projectDir: string): PluginManifest {
  const dir = findPackageDir(name, projectDir);
  if (!dir) throw new PluginError(name, `package not found from ${projectDir} (is it installed?)`);
  return pluginIn(dir, name, 'dependency', { checkEntry: false });
}

function contributionKeys(cls: Constructor): string[] {
  const metadata = getContributionMetadata(cls);
  return (metadata?.ids ?? []).map((id) => `${metadata!.kind}\u0000${id}`);
}

function withoutReplaced(manifest: PluginManifest, replaced: ReadonlySet<string>): PluginManifest {
  const provides: PluginManifest['provides'] = {};
  for (const [kind, ids] of Object.entries(manifest.provides) as Array<[ExtensionKind, string[]]>) {
    const kept = ids.filter((id) => !replaced.has(`${kind}\u0000${id}`));
    if (kept.length) provides[kind] = kept;
  }
  return { ...manifest, provides };
}
