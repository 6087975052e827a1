import { builtinModules } from 'node:module';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { packWorkspaces, publishableWorkspaces } from '../helpers/packed-install.js';
import { REPO_ROOT, removeDir, tempDir } from '../helpers/temp-project.js';

interface Manifest {
  name: string;
  version: string;
  description?: string;
  license?: string;
  type?: string;
  main?: string;
  types?: string;
  bin?: Record<string, string>;
  files?: string[];
  engines?: Record<string, string>;
  publishConfig?: Record<string, string>;
  exports?: Record<string, string | Record<string, string>>;
  aligntune?: { plugin?: string };
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

const workspaces = publishableWorkspaces();
const manifestOf = (dir: string) => JSON.parse(readFileSync(join(REPO_ROOT, dir, 'package.json'), 'utf8')) as Manifest;
const core = manifestOf('core');

/** Every file under `dir` (relative, posix separators). */
function walk(root: string, dir = ''): string[] {
  return readdirSync(join(root, dir)).flatMap((name) => {
    const path = dir ? `${dir}/${name}` : name;
    return statSync(join(root, path)).isDirectory() ? walk(root, path) : [path];
  });
}

/** The packages a source file imports by bare name (`from 'x'`, `import 'x'`, `import('x')`), node: builtins aside. */
function importedPackages(dir: string): Set<string> {
  const names = new Set<string>();
  for (const file of walk(join(REPO_ROOT, dir, 'src')).filter((f) => f.endsWith('.ts'))) {
    const text = readFileSync(join(REPO_ROOT, dir, 'src', file), 'utf8');
    for (const [, spec] of text.matchAll(/(?<![\w$.])(?:from|import)\s*\(?\s*'([^'.][^']*)'/g)) {
      const name = spec!.startsWith('@') ? spec!.split('/').slice(0, 2).join('/') : spec!.split('/')[0]!;
      if (!spec!.startsWith('node:') && !builtinModules.includes(name)) names.add(name);
    }
  }
  return names;
}

describe('every workspace package is ready to publish', () => {
  it.each(workspaces)('%s declares what npm and its users need', (dir) => {
    const pkg = manifestOf(dir);
    expect(pkg.version, 'versions move in lockstep with core').toBe(core.version);
    // A scoped package is published private unless its first publish says public.
    expect(pkg).toMatchObject({ license: 'Apache-2.0', type: 'module', engines: { node: '>=20' }, publishConfig: { access: 'public' } });
    expect(pkg.description).toBeTruthy();
    expect(pkg.exports?.['.']).toEqual({ types: pkg.types, default: pkg.main });
    expect(pkg.files).toContain('dist');
    if (dir !== 'core') {
      // A plugin runs inside the application's one core: a peer, never a copy of its own.
      expect(pkg.peerDependencies?.['@aligntune/core']).toBe(`^${core.version}`);
      expect(pkg.dependencies?.['@aligntune/core']).toBeUndefined();
    }
  });

  it.each(workspaces)('%s declares every package its sources import (so a strict install finds them)', (dir) => {
    const pkg = manifestOf(dir);
    const declared = new Set([pkg.name, ...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.peerDependencies ?? {})]);
    expect([...importedPackages(dir)].filter((name) => !declared.has(name))).toEqual([]);
  });

  describe('npm pack', () => {
    let scratch: string;
    let packed: Map<string, Set<string>>;

    beforeAll(() => {
      scratch = tempDir('aligntune-pack-');
      packed = new Map(packWorkspaces(scratch, { dryRun: true }).map((p) => [p.name, new Set(p.files)]));
      return () => removeDir(scratch);
    });

    it.each(workspaces)('%s ships its entry points, the sources its maps name, and no build state', (dir) => {
      const pkg = manifestOf(dir);
      const files = packed.get(pkg.name)!;
      // every `exports` target too: a subpath whose file is not packed resolves in the repository only
      const exportTargets = Object.values(pkg.exports ?? {}).flatMap((target) => (typeof target === 'string' ? [target] : Object.values(target)));
      const entries = [pkg.main, pkg.types, pkg.aligntune?.plugin, ...Object.values(pkg.bin ?? {}), ...exportTargets].filter((f): f is string => !!f);
      for (const entry of entries) expect(files, entry).toContain(posix.normalize(entry));
      expect([...files].filter((f) => f.endsWith('.tsbuildinfo'))).toEqual([]);
      const missing = [...files].filter((f) => f.endsWith('.map')).flatMap((map) => {
        const { sources } = JSON.parse(readFileSync(join(REPO_ROOT, dir, map), 'utf8')) as { sources: string[] };
        return sources.map((source) => posix.join(posix.dirname(map), source)).filter((source) => !files.has(source));
      });
      expect(missing.slice(0, 3)).toEqual([]);
    });
  });
});
