import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { defineConfig } from 'vitest/config';
import SlowFirstSequencer from './test/slow-first-sequencer.js';

/**
 * Tests import workspace packages from their TypeScript sources (vite 8 / oxc keeps decorator
 * metadata; test/kernel/decorator-metadata.test.ts is the canary), so a test run never depends on a stale dist/.
 */
function workspaceAliases(): Record<string, string> {
  // Core's subpaths come first (an alias also matches imports below its name), read from its `exports`:
  // ./testing is core/src/testing, every other subpath a layer barrel in core/src/public.
  const aliases: Record<string, string> = {};
  const { exports } = JSON.parse(readFileSync('core/package.json', 'utf8')) as { exports: Record<string, unknown> };
  for (const subpath of Object.keys(exports).filter((key) => key.startsWith('./') && key !== './package.json')) {
    const name = subpath.slice(2);
    aliases[`@aligntune/core/${name}`] = resolve(name === 'testing' ? 'core/src/testing/index.ts' : `core/src/public/${name}.ts`);
  }
  aliases['@aligntune/core'] = resolve('core/src/index.ts');
  for (const group of ['plugins', 'examples']) {
    if (!existsSync(group)) continue;
    for (const dir of readdirSync(group)) {
      const manifest = join(group, dir, 'package.json');
      const entry = join(group, dir, 'src/index.ts');
      if (!existsSync(manifest) || !existsSync(entry)) continue;
      const { name } = JSON.parse(readFileSync(manifest, 'utf8')) as { name: string };
      aliases[name] = resolve(entry);
    }
  }
  return aliases;
}

export default defineConfig({
  resolve: { alias: workspaceAliases() },
  test: {
    include: ['test/**/*.test.ts'],
    // a timeout only catches a hang: two workers share the cores, and the machine may be shared too
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // vitest's default is cores − 1 workers: a single one on CI's 2 cores. Much of a test is
    // single-threaded (graph building, float64 references, process starts), so two workers keep both cores busy.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    sequence: { sequencer: SlowFirstSequencer },
    reporters: ['default', './test/summary-reporter.ts'],
  },
});
