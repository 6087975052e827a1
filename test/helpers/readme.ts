import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './temp-project.js';

/** The README's "As a library" block, run as it is written (so the README cannot drift from what works). */
export function readmeLibraryExample(): string {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const block = /As a library:\s*```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  if (!block) throw new Error('README.md: no ```ts block after "As a library:"');
  return block;
}
