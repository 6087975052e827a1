import { existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Writes a whole directory atomically: `write` fills a temporary sibling, which is renamed over `target`
 * only once complete. A failure (or a kill) mid-write leaves the previous `target` untouched; the old
 * version is moved aside before the swap and removed after it, so at every instant a complete one exists.
 */
export async function writeDirAtomic(target: string, write: (tmp: string) => Promise<void>): Promise<void> {
  const parent = dirname(target);
  await mkdir(parent, { recursive: true });
  const stamp = `${process.pid}-${Date.now().toString(36)}`;
  const tmp = join(parent, `.tmp-${basename(target)}-${stamp}`);
  try {
    await mkdir(tmp);
    await write(tmp);
  } catch (error) {
    await rm(tmp, { recursive: true, force: true });
    throw error;
  }
  const old = join(parent, `.old-${basename(target)}-${stamp}`);
  const replacing = existsSync(target);
  if (replacing) await rename(target, old);
  await rename(tmp, target);
  if (replacing) await rm(old, { recursive: true, force: true });
}
