import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './temp-project.js';

interface LockEntry {
  version?: string;
  resolved?: string;
  integrity?: string;
  link?: boolean;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  [field: string]: unknown;
}

interface PackedPackage {
  name: string;
  version: string;
  filename: string;
}

export interface NpmRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The publishable workspaces: core and every plugin (the examples are private). */
export function publishableWorkspaces(): string[] {
  const { workspaces } = readJson(join(REPO_ROOT, 'package.json')) as { workspaces: string[] };
  return workspaces.flatMap((pattern) => expandWorkspace(pattern)).filter((dir) => !(readJson(join(REPO_ROOT, dir, 'package.json')) as { private?: boolean }).private);
}

/** `npm pack` of every publishable workspace into `outDir` (one npm run); the tarballs as npm named them. */
export function packWorkspaces(outDir: string, options: { dryRun?: boolean } = {}): Array<PackedPackage & { files: string[] }> {
  mkdirSync(outDir, { recursive: true });
  const args = ['pack', '--json', '--pack-destination', outDir, ...(options.dryRun ? ['--dry-run'] : []), ...publishableWorkspaces().flatMap((dir) => ['-w', dir])];
  const out = execFileSync('npm', args, { cwd: REPO_ROOT, encoding: 'utf8', env: npmEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  return (JSON.parse(out) as Array<PackedPackage & { files: Array<{ path: string }> }>).map((p) => ({ ...p, files: p.files.map((f) => f.path) }));
}

/**
 * A package-lock.json for an application that depends on the packed tarballs, with every third-party package at
 * the version and integrity this repository's lockfile pins. `npm ci --offline` then installs from npm's cache,
 * which `npm ci` of this repository filled with exactly those tarballs (a fresh `npm install` would also need the
 * registry's package metadata, which that cache does not hold).
 */
export function lockfileFor(app: { name: string; dependencies: Record<string, string> }, packed: PackedPackage[], tarballDir: string): object {
  const repo = (readJson(join(REPO_ROOT, 'package-lock.json')) as { packages: Record<string, LockEntry> }).packages;
  const packages: Record<string, LockEntry> = { '': { name: app.name, version: '1.0.0', dependencies: app.dependencies } };
  const pending: Array<{ from: string; to: string; deps: string[] }> = [];
  // The application's own registry dependencies (those not packed here) resolve from the root.
  pending.push({ from: '', to: '', deps: Object.keys(app.dependencies).filter((name) => !packed.some((p) => p.name === name)) });
  for (const pkg of packed) {
    const workspace = repo[`node_modules/${pkg.name}`]!.resolved!;
    const manifest = readJson(join(REPO_ROOT, workspace, 'package.json')) as LockEntry;
    const tarball = join(tarballDir, pkg.filename);
    const to = `node_modules/${pkg.name}`;
    packages[to] = {
      ...pick(manifest, ['version', 'license', 'dependencies', 'peerDependencies', 'optionalDependencies', 'bin', 'engines']),
      resolved: `file:${tarball}`,
      integrity: `sha512-${createHash('sha512').update(readFileSync(tarball)).digest('base64')}`,
    };
    pending.push({ from: workspace, to, deps: dependencyNames(manifest) });
  }
  while (pending.length > 0) {
    const { from, to, deps } = pending.pop()!;
    for (const name of deps) {
      const found = resolveInLock(repo, from, name);
      if (!found) continue; // an optional dependency for another platform
      // Third-party paths stay as they are; one nested in a workspace moves under that package's install.
      const target = found.startsWith('node_modules/') ? found : `${to}/${found.slice(found.indexOf('node_modules/'))}`;
      if (packages[target]) continue;
      const { dev, devOptional, peer, extraneous, ...entry } = repo[found]!;
      packages[target] = entry;
      pending.push({ from: found, to: target, deps: dependencyNames(entry) });
    }
  }
  return { name: app.name, version: '1.0.0', lockfileVersion: 3, requires: true, packages };
}

/** Runs npm, npx or node in `cwd`, npm offline, with none of the calling npm's environment (a test run under `npm test`). */
export function runNpm(command: string, args: readonly string[], cwd: string): Promise<NpmRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], { cwd, env: { ...npmEnv(), npm_config_offline: 'true' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => void (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => void (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The environment without the `npm_*` variables a parent npm sets (its config and package would leak in). */
export function npmEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key)));
}

export function writeJson(path: string, value: unknown): void {
  writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`);
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
  const names = [entry.dependencies, entry.optionalDependencies, entry.peerDependencies].flatMap((deps) => Object.keys(deps ?? {}));
  return [...new Set(names)].filter((name) => !name.startsWith('@aligntune/'));
}

function pick(entry: LockEntry, fields: string[]): LockEntry {
  return Object.fromEntries(fields.filter((field) => entry[field] !== undefined).map((field) => [field, entry[field]]));
}
