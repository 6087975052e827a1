import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { defaultKernel } from '../kernel/default-kernel.js';
import type { Kernel } from '../kernel/kernel.js';
import { projectDirOf } from '../kernel/plugin-discovery.js';
import { PluginError } from '../kernel/plugin-manifest.js';
import type { ExtensionKind } from '../kernel/extension-point.js';

/** Per kernel: the project directories already scanned, each with how it was chosen (for "where it looked"). */
const scanned = new WeakMap<Kernel, Map<string, string>>();

export interface KernelSetup {
  kernel?: Kernel;
  /**
   * Whose package.json dependencies are scanned for plugins. Default: the application of the entry script
   * (`process.argv[1]`'s nearest package.json outside node_modules), else the working directory.
   */
  projectDir?: string;
  /** Extra plugins (the config's `plugins:` list). */
  plugins?: readonly string[];
  /** Directory that relative plugin paths are relative to (the config file's). */
  baseDir?: string;
}

/** The kernel with the project's plugins discovered once per project directory, plus any extra plugins the config names. */
export async function prepareKernel(setup: KernelSetup = {}): Promise<Kernel> {
  const kernel = setup.kernel ?? defaultKernel();
  const dirs = scanned.get(kernel) ?? new Map<string, string>();
  scanned.set(kernel, dirs);
  const chosen = setup.projectDir !== undefined ? { dir: resolve(setup.projectDir), why: '' } : dirs.size === 0 ? defaultProject() : undefined;
  if (chosen && !dirs.has(chosen.dir)) {
    dirs.set(chosen.dir, describeProject(chosen.dir, chosen.why));
    await kernel.discover({ projectDir: chosen.dir });
  }
  const projectDir = chosen?.dir ?? [...dirs.keys()][0]!;
  if (setup.plugins?.length) await kernel.discover({ projectDir, extra: setup.plugins, baseDir: setup.baseDir });
  return kernel;
}

/**
 * Where prepareKernel looked for this kernel's plugins, as a sentence for "no plugin provides ..." errors
 * (undefined for a kernel filled by hand).
 */
export function whereLooked(kernel: Kernel): string | undefined {
  const dirs = scanned.get(kernel);
  if (!dirs?.size) return undefined;
  return `plugins were looked for in the dependencies of ${[...dirs.values()].join(' and ')}; install the plugin package there, or name the application's directory (TrainerFactory's projectDir option, the CLI's --project)`;
}

/** A library user's application is the one whose script is running, wherever the working directory is. */
function defaultProject(): { dir: string; why: string } {
  const entry = process.argv[1];
  const dir = entry ? projectDirOf(entry) : undefined;
  if (dir) return { dir, why: ` (the application of the entry script ${entry})` };
  return { dir: process.cwd(), why: ` (the working directory${entry ? `; no package.json above the entry script ${entry}` : ''})` };
}

function describeProject(dir: string, why: string): string {
  const manifest = join(dir, 'package.json');
  return `${existsSync(manifest) ? manifest : `${dir} (which has no package.json)`}${why}`;
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
