import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { runProcess, type ProcessRun } from './run-process.js';

const REPO_ROOT = resolve(import.meta.dirname, '../..');

interface LockEntry {
  name?: string;
  version?: string;
  resolved?: string;
  integrity?: string;
  link?: boolean;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  [field: string]: unknown;
}

export interface PackedPackage {
  name: string;
  version: string;
  filename: string;
  files: string[];
}

export type NpmRun = ProcessRun;

/** The publishable workspaces: core and every plugin (the examples are private). */
export function publishableWorkspaces(): string[] {
  const { workspaces } = readJson(join(REPO_ROOT, 'package.json')) as { workspaces: string[] };
  return workspaces.flatMap((pattern) => expandWorkspace(pattern)).filter((dir) => !(readJson(join(REPO_ROOT, dir, 'package.json')) as { private?: boolean }).private);
}

/** `npm pack` of every publishable workspace into `outDir` (one npm run); the tarballs as npm named them. */
export function packWorkspaces(outDir: string, options: { dryRun?: boolean } = {}): PackedPackage[] {
  mkdirSync(outDir, { recursive: true });
  const args = ['pack', '--json', '--pack-destination', outDir, ...(options.dryRun ? ['--dry-run'] : []), ...publishableWorkspaces().flatMap((dir) => ['-w', dir])];
  const out = execFileSync('npm', args, { cwd: REPO_ROOT, encoding: 'utf8', env: npmEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  return (JSON.parse(out) as Array<Omit<PackedPackage, 'files'> & { files: Array<{ path: string }> }>).map((p) => ({ ...p, files: p.files.map((f) => f.path) }));
}

/**
 * Installs local packages into the application directory `appDir` offline, as `npm install <paths>` would lay
 * them out: a tarball is unpacked into node_modules, a directory is linked. Their registry dependencies come at
 * the versions this repository's lockfile pins, from npm's cache, which `npm ci` of this repository filled: the
 * written package-lock.json lets `npm ci --offline` do without the registry's package metadata, which that cache
 * does not hold (a plain `npm install --offline` needs it). The application's package.json gets the packages
 * as dependencies, next to `extra` fields and `registryDependencies` (names the repository's lockfile pins).
 */
export function installOffline(
  appDir: string,
  paths: readonly string[],
  options: { extra?: Record<string, unknown>; registryDependencies?: Record<string, string>; npmArgs?: readonly string[] } = {},
): NpmRun {
  const locals = paths.map((path) => localPackage(appDir, path));
  const dependencies = { ...Object.fromEntries(locals.map((p) => [p.name, p.spec])), ...options.registryDependencies };
  const manifest = { name: 'app', version: '1.0.0', private: true, type: 'module', ...options.extra, dependencies };
  writeJson(join(appDir, 'package.json'), manifest);
  writeJson(join(appDir, 'package-lock.json'), lockfileFor(manifest, locals));
  const run = spawnSync('npm', ['ci', '--no-audit', '--no-fund', ...(options.npmArgs ?? [])], { cwd: appDir, env: offlineEnv(), encoding: 'utf8' });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** Runs npm, npx or node in `cwd`, npm offline, with none of the calling npm's environment (a test run under `npm test`). */
export function runNpm(command: string, args: readonly string[], cwd: string): Promise<NpmRun> {
  return runProcess(command, args, { cwd, env: offlineEnv() });
}

/** The line of a failed offline install that names what npm's cache lacks, or undefined for any other failure. */
export function missingFromCache(run: NpmRun): string | undefined {
  if (run.code === 0) return undefined;
  const lines = run.stderr.split('\n');
  return lines.find((line) => /only-if-cached/.test(line)) ?? lines.find((line) => /ENOTCACHED/.test(line));
}

/** The environment without the `npm_*` variables a parent npm sets (its config and package would leak in). */
export function npmEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key)));
}

function offlineEnv(): NodeJS.ProcessEnv {
  return { ...npmEnv(), npm_config_offline: 'true' };
}

export function writeJson(path: string, value: unknown): void {
  writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`);
}

interface LocalPackage {
  name: string;
  /** The dependency spec package.json holds: `file:` and the path relative to the application. */
  spec: string;
  /** Relative to the application (as the lockfile records it), and absolute. */
  path: string;
  absolute: string;
  manifest: LockEntry;
  tarball: boolean;
}

function localPackage(appDir: string, given: string): LocalPackage {
  const path = resolve(given);
  const tarball = !statSync(path).isDirectory();
  const manifest = (tarball ? JSON.parse(execFileSync('tar', ['-xzOf', path, 'package/package.json'], { encoding: 'utf8' })) : readJson(join(path, 'package.json'))) as LockEntry;
  return { name: manifest.name!, spec: `file:${relative(appDir, path)}`, path: relative(appDir, path), absolute: path, manifest, tarball };
}

/**
 * The package-lock.json npm would write: each local package (an unpacked tarball, or a link to a directory) and
 * the closure of the registry packages they and the application need, copied from this repository's lockfile.
 */
function lockfileFor(app: { name: string; dependencies: Record<string, string> }, locals: LocalPackage[]): object {
  const repo = (readJson(join(REPO_ROOT, 'package-lock.json')) as { packages: Record<string, LockEntry> }).packages;
  const packages: Record<string, LockEntry> = { '': { name: app.name, version: '1.0.0', dependencies: app.dependencies } };
  const localNames = new Set(locals.map((p) => p.name));
  const registryOnly = (names: string[]) => names.filter((name) => !localNames.has(name));
  // The application's own registry dependencies resolve from the root.
  const pending: Array<{ from: string; to: string; deps: string[] }> = [{ from: '', to: '', deps: registryOnly(Object.keys(app.dependencies)) }];
  for (const pkg of locals) {
    const fields = pick(pkg.manifest, ['version', 'license', 'dependencies', 'peerDependencies', 'optionalDependencies', 'bin', 'engines']);
    const to = `node_modules/${pkg.name}`;
    if (!pkg.tarball) {
      // A linked directory keeps its own node_modules (npm installs nothing for it).
      packages[to] = { resolved: pkg.path, link: true };
      packages[pkg.path] = { name: pkg.name, ...fields };
      continue;
    }
    packages[to] = { ...fields, resolved: `file:${pkg.path}`, integrity: `sha512-${createHash('sha512').update(readFileSync(pkg.absolute)).digest('base64')}` };
    // A workspace package resolves its dependencies from its place in this repository's tree.
    const workspace = repo[`node_modules/${pkg.name}`]?.link ? repo[`node_modules/${pkg.name}`]!.resolved! : '';
    pending.push({ from: workspace, to, deps: registryOnly(dependencyNames(pkg.manifest)) });
  }
  while (pending.length > 0) {
    const { from, to, deps } = pending.pop()!;
    for (const name of deps) {
      const found = resolveInLock(repo, from, name);
      if (!found) continue; // an optional dependency for another platform, or a peer the application provides
      // Third-party paths stay as they are; one nested in a workspace moves under that package's install.
      const target = found.startsWith('node_modules/') ? found : `${to}/${found.slice(found.indexOf('node_modules/'))}`;
      if (packages[target]) continue;
      const { dev, devOptional, peer, extraneous, ...entry } = repo[found]!;
      packages[target] = entry;
      pending.push({ from: found, to: target, deps: registryOnly(dependencyNames(entry)) });
    }
  }
  return { name: app.name, version: '1.0.0', lockfileVersion: 3, requires: true, packages };
}

function readJson(path: string): unknown {
  return JSON.parse(readFileSync(path, 'utf8'));
}

function expandWorkspace(pattern: string): string[] {
  if (!pattern.endsWith('/*')) return [pattern];
  const parent = pattern.slice(0, -2);
  return Object.keys((readJson(join(REPO_ROOT, 'package-lock.json')) as { packages: Record<string, unknown> }).packages)
    .filter((path) => path.startsWith(`${parent}/`) && !path.slice(parent.length + 1).includes('/'))
    .sort();
}

/** Node's lookup as the lockfile records it: `from`/node_modules/name, then each enclosing node_modules up to the root. */
function resolveInLock(lock: Record<string, LockEntry>, from: string, name: string): string | undefined {
  let base = from;
  for (;;) {
    const candidate = base ? `${base}/node_modules/${name}` : `node_modules/${name}`;
    if (lock[candidate] && !lock[candidate]!.link) return candidate;
    if (!base) return undefined;
    const up = base.lastIndexOf('/node_modules/');
    base = up >= 0 ? base.slice(0, up) : '';
  }
}

function dependencyNames(entry: LockEntry): string[] {
  return [...new Set([entry.dependencies, entry.optionalDependencies, entry.peerDependencies].flatMap((deps) => Object.keys(deps ?? {})))];
}

function pick(entry: LockEntry, fields: string[]): LockEntry {
  return Object.fromEntries(fields.filter((field) => entry[field] !== undefined).map((field) => [field, entry[field]]));
}
