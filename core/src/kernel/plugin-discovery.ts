import { existsSync, realpathSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve, sep } from 'node:path';
import { PluginError, asPluginError, dependencyNames, readPackageJson, readPluginManifest, type PluginManifest, type PluginOrigin, type ReadManifestOptions } from './plugin-manifest.js';

export interface DiscoveryOptions {
  /** The application whose package.json dependencies are scanned (the working directory, or --project). */
  projectDir: string;
  /** Extra plugins from the config's `plugins:` list: package names or paths. */
  extra?: readonly string[];
  /** Directory that relative `extra` paths are relative to (the config file's). */
  baseDir?: string;
}

export interface DiscoveryFailure {
  name: string;
  error: PluginError;
}

export interface DiscoveryResult {
  manifests: PluginManifest[];
  failures: DiscoveryFailure[];
}

/**
 * Finds plugins by reading manifests only (no plugin code runs): every dependency of the project's
 * package.json whose package.json has an "aligntune" field, the project itself when it is a plugin,
 * and the config's explicit `plugins:` entries.
 */
export function discoverPlugins(options: DiscoveryOptions): DiscoveryResult {
  const projectDir = resolve(options.projectDir);
  const result: DiscoveryResult = { manifests: [], failures: [] };
  const seen = new Set<string>();
  const add = (name: string, find: () => PluginManifest | undefined) => {
    try {
      const manifest = find();
      if (manifest && !seen.has(manifest.dir)) {
        seen.add(manifest.dir);
        result.manifests.push(manifest);
      }
    } catch (error) {
      result.failures.push({ name, error: asPluginError(name, error) });
    }
  };
  if (existsSync(join(projectDir, 'package.json'))) {
    const pkg = readPackageJson(projectDir);
    add(pkg.name ?? projectDir, () => readPluginManifest(projectDir, 'project'));
    for (const name of dependencyNames(pkg)) {
      const dir = findPackageDir(name, projectDir);
      if (dir) add(name, () => readPluginManifest(dir, 'dependency'));
    }
  }
  const baseDir = resolve(options.baseDir ?? projectDir);
  for (const spec of options.extra ?? []) {
    add(spec, () => explicitPlugin(spec, baseDir, projectDir));
  }
  return result;
}

function explicitPlugin(spec: string, baseDir: string, projectDir: string): PluginManifest {
  const dir = isPathSpec(spec) ? resolve(baseDir, spec) : findPackageDir(spec, baseDir) ?? findPackageDir(spec, projectDir);
  if (!dir || !existsSync(dir)) {
    throw new PluginError(spec, isPathSpec(spec) ? `path ${dir} does not exist` : 'package not found (is it installed?)');
  }
  return pluginIn(statSync(dir).isDirectory() ? dir : dirname(dir), spec, 'config');
}

/** The manifest of the plugin package in `packageDir`; an error naming `spec` when the package is not a plugin. */
export function pluginIn(packageDir: string, spec: string, origin: PluginOrigin, options?: ReadManifestOptions): PluginManifest {
  const manifest = readPluginManifest(packageDir, origin, options);
  if (!manifest) throw new PluginError(spec, `${join(packageDir, 'package.json')} has no "aligntune" field, so it is not an aligntune plugin`);
  return manifest;
}

function isPathSpec(spec: string): boolean {
  return spec.startsWith('.') || isAbsolute(spec);
}

/**
 * The application a script belongs to: the nearest directory above `file` that holds a package.json, outside
 * node_modules (a tool's entry script, such as vitest's or an installed bin, belongs to the project that installed it).
 */
export function projectDirOf(file: string): string | undefined {
  const path = existsSync(file) ? realpathSync(file) : resolve(file);
  const parts = dirname(path).split(sep);
  const inModules = parts.indexOf('node_modules');
  let dir = inModules >= 0 ? parts.slice(0, inModules).join(sep) || sep : dirname(path);
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** Node's lookup of node_modules/<name>, walking up from `fromDir`, without importing anything. */
export function findPackageDir(name: string, fromDir: string): string | undefined {
  let dir = resolve(fromDir);
  for (;;) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return realpathSync(candidate);
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}
