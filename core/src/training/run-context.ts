import { Kernel } from '../kernel/kernel.js';
import { PluginError } from '../kernel/plugin-manifest.js';
import type { ExtensionKind } from '../kernel/extension-point.js';

const discovered = new WeakSet<Kernel>();

export interface KernelSetup {
  kernel?: Kernel;
  /** Whose package.json dependencies are scanned for plugins (default: the working directory). */
  projectDir?: string;
  /** Extra plugins (the config's `plugins:` list). */
  plugins?: readonly string[];
  /** Directory that relative plugin paths are relative to (the config file's). */
  baseDir?: string;
}

/** The kernel with the project's plugins discovered once, plus any extra plugins the config names. */
export async function prepareKernel(setup: KernelSetup = {}): Promise<Kernel> {
  const kernel = setup.kernel ?? Kernel.default();
  const projectDir = setup.projectDir ?? process.cwd();
  if (!discovered.has(kernel)) {
    discovered.add(kernel);
    await kernel.discover({ projectDir });
  }
  if (setup.plugins?.length) await kernel.discover({ projectDir, extra: setup.plugins, baseDir: setup.baseDir });
  return kernel;
}

/**
 * A plugin that failed to load may have been meant to provide something this run uses, so a run refuses to
 * start until it is fixed or uninstalled (`aligntune plugins` shows the details).
 */
export function assertPluginsHealthy(kernel: Kernel): void {
  const failed = kernel.failedPlugins();
  if (failed.length === 0) return;
  const lines = failed.map((state) => `  - ${state.error?.message ?? state.name}`);
  throw new PluginError(failed.map((state) => state.name).join(', '), `failed to load:\n${lines.join('\n')}`);
}

/** Imports the lazy plugins behind the contributions a config selects, so their options can be validated. */
export async function ensureSelected(kernel: Kernel, selections: Array<[ExtensionKind, unknown]>): Promise<void> {
  for (const [kind, id] of selections) {
    if (typeof id === 'string' && kernel.has(kind, id)) await kernel.ensure(kind, id);
  }
}
