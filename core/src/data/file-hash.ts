import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';

/** Content hashes already computed in this process, keyed by path, size and mtime. */
const memo = new Map<string, string>();

/** sha256 of a file's content, streamed; recomputed only when its size or mtime changed. */
export async function hashFile(path: string): Promise<string> {
  const info = await stat(path);
  const key = `${path}\0${info.size}\0${info.mtimeMs}`;
  const known = memo.get(key);
  if (known) return known;
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  const digest = hash.digest('hex');
  memo.set(key, digest);
  return digest;
}
