import { readFileSync } from 'node:fs';

/** @aligntune/core's version, read from its package.json (two levels above dist/cli or src/cli). */
export function coreVersion(): string {
  const manifest = new URL('../../package.json', import.meta.url);
  return (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version;
}
