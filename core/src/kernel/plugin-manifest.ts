import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { EXTENSION_KINDS, isExtensionKind, type ExtensionKind } from './extension-point.js';

/** The plugin API version this core speaks. A plugin declares the version it was written against. */
export const PLUGIN_API_VERSION = 1;

/** kind → id → decorator option → its JSON value. */
export type ContributionTraits = Partial<Record<ExtensionKind, Record<string, Record<string, TraitValue>>>>;
export type TraitValue = string | number | boolean;

export type PluginOrigin = 'dependency' | 'config' | 'project';

/** What a plugin's package.json `"aligntune"` field says, read without importing any plugin code. */
export interface PluginManifest {
  name: string;
  version: string;
  dir: string;
  /** Absolute path of the entry module. */
  entry: string;
  apiVersion: number;
  /**
   * The contributions the plugin declares: the only ones the kernel registers, and what it lists before the
   * plugin is imported (a plugin is imported only when one of them is selected or listed).
   */
  provides: Partial<Record<ExtensionKind, string[]>>;
  /**
   * Decorator options of declared contributions that core reads to choose a default among installed ones (a dataset
   * loader's `serves` and `priority`, a compute backend's `device` and `priority`) without importing the plugin.
   * They must equal the decorator's, which is checked when the plugin is imported.
   */
  traits?: ContributionTraits;
  /** The package depends on tsyringe: its classes are constructed by tsyringe's container. */
  usesTsyringe: boolean;
  origin: PluginOrigin;
}

/** A plugin could not be read, loaded or registered. Always names the plugin. */
export class PluginError extends Error {
  constructor(
    readonly plugin: string,
    message: string,
  ) {
    super(`plugin ${plugin}: ${message}`);
    this.name = 'PluginError';
  }
}

/** `error` as a PluginError naming `plugin` (unchanged when it already is one). */
export function asPluginError(plugin: string, error: unknown): PluginError {
  return error instanceof PluginError ? error : new PluginError(plugin, (error as Error)?.message ?? String(error));
}

interface PackageJson {
  name?: string;
  version?: string;
  aligntune?: unknown;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

export function readPackageJson(dir: string): PackageJson {
  const file = join(dir, 'package.json');
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as PackageJson;
  } catch (error) {
    throw new PluginError(dir, `cannot read ${file}: ${(error as Error).message}`);
  }
}

export interface ReadManifestOptions {
  /** Check that the entry file exists (off where the plugin is imported by package name, as the test harness does). */
  checkEntry?: boolean;
}

/** Returns the manifest of the package in `dir`, or undefined when it is not an aligntune plugin. */
export function readPluginManifest(dir: string, origin: PluginOrigin, options: ReadManifestOptions = {}): PluginManifest | undefined {
  const pkg = readPackageJson(dir);
  if (pkg.aligntune === undefined) return undefined;
  const name = pkg.name ?? dir;
  const field = pkg.aligntune;
  if (typeof field !== 'object' || field === null || Array.isArray(field)) {
    throw new PluginError(name, `package.json "aligntune" must be an object like { "plugin": "./dist/index.js", "apiVersion": ${PLUGIN_API_VERSION} }`);
  }
  const { plugin, apiVersion, provides, traits } = field as Record<string, unknown>;
  if (typeof plugin !== 'string' || plugin.length === 0) {
    throw new PluginError(name, 'package.json "aligntune.plugin" must name the entry module, e.g. "./dist/index.js"');
  }
  checkApiVersion(name, apiVersion);
  const entry = resolve(dir, plugin);
  if (options.checkEntry !== false && !existsSync(entry)) {
    throw new PluginError(name, `entry file ${plugin} not found in ${dir} (is the plugin built?)`);
  }
  return {
    name,
    version: pkg.version ?? '0.0.0',
    dir,
    entry,
    apiVersion: apiVersion as number,
    provides: parseProvides(name, provides),
    ...(traits === undefined ? {} : { traits: parseTraits(name, traits, parseProvides(name, provides)) }),
    usesTsyringe: dependsOn(pkg, 'tsyringe'),
    origin,
  };
}

function checkApiVersion(name: string, apiVersion: unknown): void {
  if (typeof apiVersion !== 'number' || !Number.isInteger(apiVersion)) {
    throw new PluginError(name, `package.json "aligntune.apiVersion" must be an integer (this core speaks ${PLUGIN_API_VERSION})`);
  }
  if (apiVersion !== PLUGIN_API_VERSION) {
    throw new PluginError(
      name,
      `written for aligntune plugin API v${apiVersion}, but this @aligntune/core speaks v${PLUGIN_API_VERSION}; install a matching version`,
    );
  }
}

const PROVIDES_EXAMPLE = '{ "reward": ["my-reward"] }';

function parseProvides(name: string, provides: unknown): PluginManifest['provides'] {
  if (provides === undefined) {
    throw new PluginError(name, `package.json "aligntune.provides" is missing: declare what the plugin contributes, e.g. ${PROVIDES_EXAMPLE}`);
  }
  if (typeof provides !== 'object' || provides === null || Array.isArray(provides)) {
    throw new PluginError(name, `package.json "aligntune.provides" must map extension kinds to id lists, e.g. ${PROVIDES_EXAMPLE}`);
  }
  const result: Partial<Record<ExtensionKind, string[]>> = {};
  for (const [kind, ids] of Object.entries(provides)) {
    if (!isExtensionKind(kind)) {
      throw new PluginError(name, `"aligntune.provides" has unknown kind "${kind}" (kinds: ${EXTENSION_KINDS.join(', ')})`);
    }
    if (!Array.isArray(ids) || ids.some((id) => typeof id !== 'string')) {
      throw new PluginError(name, `"aligntune.provides.${kind}" must be a list of ids`);
    }
    result[kind] = ids as string[];
  }
  if (Object.values(result).every((ids) => ids.length === 0)) {
    throw new PluginError(name, `package.json "aligntune.provides" declares nothing; list the plugin's contributions, e.g. ${PROVIDES_EXAMPLE}`);
  }
  return result;
}

const TRAITS_EXAMPLE = '{ "dataset-loader": { "my-loader": { "serves": "files", "priority": 1 } } }';

/** `aligntune.traits`: for declared contributions only, option names mapped to strings, numbers or booleans. */
function parseTraits(name: string, traits: unknown, provides: PluginManifest['provides']): ContributionTraits {
  const where = (path: string) => `package.json "aligntune.traits${path}"`;
  if (!isPlainObject(traits)) throw new PluginError(name, `${where('')} must map kinds to ids to options, e.g. ${TRAITS_EXAMPLE}`);
  for (const [kind, byId] of Object.entries(traits)) {
    if (!isPlainObject(byId)) throw new PluginError(name, `${where(`.${kind}`)} must map ids to options, e.g. ${TRAITS_EXAMPLE}`);
    for (const [id, options] of Object.entries(byId)) {
      if (!provides[kind as ExtensionKind]?.includes(id)) throw new PluginError(name, `${where(`.${kind}.${id}`)} names a contribution "aligntune.provides" does not declare`);
      if (!isPlainObject(options) || Object.values(options).some((v) => !['string', 'number', 'boolean'].includes(typeof v))) {
        throw new PluginError(name, `${where(`.${kind}.${id}`)} must map option names to strings, numbers or booleans`);
      }
    }
  }
  return traits as ContributionTraits;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function dependsOn(pkg: PackageJson, dependency: string): boolean {
  return [pkg.dependencies, pkg.peerDependencies, pkg.devDependencies, pkg.optionalDependencies].some(
    (deps) => deps !== undefined && dependency in deps,
  );
}

/** Names of everything the package depends on, in declaration order. */
export function dependencyNames(pkg: PackageJson): string[] {
  const names = new Set<string>();
  for (const deps of [pkg.dependencies, pkg.devDependencies, pkg.optionalDependencies]) {
    for (const name of Object.keys(deps ?? {})) names.add(name);
  }
  return [...names];
}
