import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/temp-project.js';
import { coreSubpaths, exportNamesBySubpath, PUBLIC_API_SNAPSHOT, specifierOf, type ExportNames } from './public-api.js';

/**
 * @aligntune/core's public surface is what its `exports` subpaths export, and nothing else: a new
 * export, subpath or fixture leak shows up here as a diff against public-api.names.json, so it is a
 * deliberate change reviewed with the code.
 */
describe('the public API of @aligntune/core', () => {
  let actual: Record<string, ExportNames>;
  let expected: Record<string, ExportNames>;

  beforeAll(() => {
    actual = exportNamesBySubpath();
    if (process.env.UPDATE_PUBLIC_API) writeFileSync(PUBLIC_API_SNAPSHOT, `${JSON.stringify(actual, null, 2)}\n`);
    expected = JSON.parse(readFileSync(PUBLIC_API_SNAPSHOT, 'utf8')) as Record<string, ExportNames>;
  });

  it('has exactly the checked-in entry points', () => {
    expect(coreSubpaths().map(specifierOf).sort()).toEqual(Object.keys(expected).sort());
  });

  it.each(coreSubpaths().map(specifierOf))('%s exports exactly the checked-in names', async (specifier) => {
    expect(actual[specifier], 'type checker view').toEqual(expected[specifier]);
    // What a running program sees through the same specifier (vitest maps it to the source barrel).
    const module = (await import(specifier)) as Record<string, unknown>;
    expect(Object.keys(module).sort()).toEqual(expected[specifier]!.values);
  });

  it('keeps test fixtures out of the runtime entry points', () => {
    const fixtures = expected['@aligntune/core/testing']!.values.filter((name) => name !== 'startTestKernel');
    expect(fixtures).toContain('buildTinyChatTokenizerFiles');
    for (const [specifier, names] of Object.entries(expected).filter(([specifier]) => specifier !== '@aligntune/core/testing')) {
      expect(names.values.filter((name) => fixtures.includes(name)), specifier).toEqual([]);
    }
  });
});

/** Every source file of the plugin and example packages, repository-relative. */
function packageSources(): string[] {
  const walk = (dir: string): string[] =>
    readdirSync(dir).flatMap((name) => {
      const path = join(dir, name);
      if (name === 'node_modules' || name === 'dist') return [];
      return statSync(path).isDirectory() ? walk(path) : /\.(ts|mjs|js)$/.test(name) ? [relative(REPO_ROOT, path)] : [];
    });
  return ['plugins', 'examples']
    .flatMap((group) => readdirSync(join(REPO_ROOT, group)).map((dir) => join(REPO_ROOT, group, dir)))
    .filter((dir) => statSync(dir).isDirectory())
    .flatMap((dir) => (existsSync(join(dir, 'src')) ? walk(join(dir, 'src')) : walk(dir)));
}

/** The module specifiers a source imports (`from '…'`, `import '…'`, `import('…')`). */
const importsOf = (text: string) => [...text.matchAll(/(?<![\w$.])(?:from|import)\s*\(?\s*'([^']+)'/g)].map((m) => m[1]!);

describe('plugins reach core only through its declared entry points', () => {
  const declared = new Set(coreSubpaths().map(specifierOf));
  const sources = packageSources();

  it('finds the plugin sources', () => {
    expect(sources).toContain('plugins/algo-sft/src/index.ts');
  });

  it('imports no path inside @aligntune/core other than a declared subpath, and no core source file', () => {
    const offending = sources.flatMap((file) =>
      importsOf(readFileSync(join(REPO_ROOT, file), 'utf8'))
        .filter((spec) => (spec.startsWith('@aligntune/core') && !declared.has(spec)) || /(^|\/)core\/(src|dist)\//.test(spec))
        .map((spec) => `${file}: ${spec}`),
    );
    expect(offending).toEqual([]);
  });

  it('imports layer subpaths, not the root entry (seed user API examples aside)', () => {
    const offending = sources
      .filter((file) => !file.startsWith('examples/library/'))
      .filter((file) => importsOf(readFileSync(join(REPO_ROOT, file), 'utf8')).includes('@aligntune/core'));
    expect(offending).toEqual([]);
  });
});
