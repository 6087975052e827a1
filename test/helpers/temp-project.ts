import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import ts from 'typescript';
import { installOffline } from './packed-install.js';
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
 * A fresh application directory with `@aligntune/core` and the given packages (tarballs or directories) installed
 * by npm, offline (from the local cache), exactly as a user's `npm install` would lay them out.
 */
export function makeProject(packages: string[], options: { name?: string } = {}): string {
  const dir = tempDir('aligntune-project-');
  const run = installOffline(dir, [join(REPO_ROOT, 'core'), ...packages], { extra: { name: options.name ?? 'app' }, npmArgs: ['--ignore-scripts', '--loglevel=error'] });
  if (run.code !== 0) throw new Error(`npm ci in ${dir} failed:\n${run.stderr}`);
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

/**
 * Copies an example plugin package (examples/<name>) into `scratch` and transpiles its src/ into dist/ with
 * the repo's compiler options, as its own build would, so it can be packed and installed like a published package.
 */
export function buildExamplePackage(name: string, scratch: string): string {
  const example = join(REPO_ROOT, 'examples', name);
  const dir = join(scratch, name);
  cpSync(example, dir, { recursive: true, filter: (path) => !/\/(dist|node_modules)(\/|$)/.test(path.slice(example.length)) });
  const base = JSON.parse(readFileSync(join(REPO_ROOT, 'tsconfig.base.json'), 'utf8')) as { compilerOptions: Record<string, unknown> };
  const { options } = ts.convertCompilerOptionsFromJson({ ...base.compilerOptions, composite: false, declaration: false, declarationMap: false }, dir);
  mkdirSync(join(dir, 'dist'));
  for (const file of readdirSync(join(dir, 'src'))) {
    const source = readFileSync(join(dir, 'src', file), 'utf8');
    const { outputText } = ts.transpileModule(source, { compilerOptions: { ...options, module: ts.ModuleKind.ESNext }, fileName: file });
    writeFileSync(join(dir, 'dist', file.replace(/\.ts$/, '.js')), outputText);
  }
  return dir;
}
