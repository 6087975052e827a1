import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

/** A file as a UTF-8 text stream, gunzipped on the fly when `gzip` (never read whole into memory). */
export function openTextStream(path: string, gzip: boolean): Readable {
  const raw = createReadStream(path);
  const stream = gzip ? raw.pipe(createGunzip()) : raw;
  // errors of the raw file (ENOENT) must reach whoever reads the gunzip end
  if (gzip) raw.on('error', (error) => stream.destroy(error));
  stream.setEncoding('utf8');
  return stream;
}

/** The stream's text chunks, with a leading byte-order mark removed. */
export async function* textChunks(stream: Readable): AsyncGenerator<string> {
  let first = true;
  for await (const chunk of stream as AsyncIterable<string>) {
    if (first && chunk.charCodeAt(0) === 0xfeff) yield chunk.slice(1);
    else yield chunk;
    first = false;
  }
}
