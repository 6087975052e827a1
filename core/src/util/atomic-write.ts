import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Writes a file through a temporary sibling and a rename, so readers never see half a file and a crash
 * leaves the previous version in place. `write` receives the open handle of the temporary file.
 */
export async function writeFileAtomic(path: string, write: (handle: FileHandle) => Promise<void>): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const handle = await open(tmp, 'w');
  try {
    await write(handle);
    await handle.sync();
  } catch (err) {
    await handle.close().catch(() => undefined);
    await rm(tmp, { force: true });
    throw err;
  }
  await handle.close();
  try {
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/** Atomic write of a string or byte array. */
export async function writeDataAtomic(path: string, data: string | Uint8Array): Promise<void> {
  await writeFileAtomic(path, async (handle) => {
    await handle.writeFile(data);
  });
}

/** Atomic write of JSON, indented as Hugging Face writes its config files. */
export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  await writeDataAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
}
