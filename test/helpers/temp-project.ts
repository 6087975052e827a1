import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const REPO_ROOT = resolve(import.meta.dirname, '../..');
export const FIXTURE_PLUGINS = join(REPO_ROOT, 'test/fixtures/plugins');

export function tempDir(prefix = 'aligntune-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** `npm pack` of a directory into `outDir`; returns the tarball's path. Installing a tarball copies it, as from a registry. */
export function packPackage(dir: string, outDir: string): string {
  const name = execFileSync('npm', ['pack', '--silent', '--pack-destination', outDir], { cwd: dir, encoding: 'utf8' }).trim();
  return join(outDir, name.split('\n').pop()!);
}

/**
 * A fresh application directory with `@aligntune/core` and the given packages installed by npm, offline
 * (from the local cache), exactly as a user's `npm install` would lay them out.
 */
export function makeProject(packages: string[], options: { name?: string } = {}): string {
  const dir = tempDir('aligntune-project-');
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: options.name ?? 'app', version: '1.0.0', private: true, type: 'module' }));
  execFileSync('npm', ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error', join(REPO_ROOT, 'core'), ...packages], {
    cwd: dir,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  return dir;
}

/** Copies a fixture plugin to a scratch directory (so builds inside it never touch the repo). */
export function copyFixture(name: string): string {
  const dir = join(tempDir('aligntune-fixture-'), name);
  mkdirSync(dir, { recursive: true });
  cpSync(join(FIXTURE_PLUGINS, name), dir, { recursive: true });
  return dir;
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
