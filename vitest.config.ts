import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { defineConfig } from 'vitest/config';

/**
 * Tests import workspace packages from their TypeScript sources (vite 8 / oxc keeps decorator
 * metadata; test/kernel/decorator-metadata.test.ts is the canary), so a test run never depends on a stale dist/.
 */
function workspaceAliases(): Record<string, string> {
  // the subpath first: an alias also matches imports below its name
  const aliases: Record<string, string> = { '@aligntune/core/testing': resolve('core/src/testing/index.ts'), '@aligntune/core': resolve('core/src/index.ts') };
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
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    reporters: ['default', './test/summary-reporter.ts'],
  },
});
