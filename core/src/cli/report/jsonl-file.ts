import { readFileSync } from 'node:fs';

/** Called for a line that is not a JSON object (or that `accept` rejects): `where` is `file:line`. */
export type BadLine = (where: string, why: string) => void;

/**
 * The JSON objects of a JSONL file, in order. A bad line goes to `onBad` (which may throw) and is skipped:
 * a run that crashed mid-write, or was resumed after one, leaves a torn line, and the rest is still worth seeing.
 */
export function readJsonl<T>(path: string, accept: (value: Record<string, unknown>) => T | undefined, onBad: BadLine): T[] {
  const out: T[] = [];
  readFileSync(path, 'utf8')
    .split('\n')
    .forEach((line, index) => {
      if (line.trim() === '') return;
      const where = `${path}:${index + 1}`;
      const value = parseObject(line);
      if (typeof value === 'string') return onBad(where, value);
      const item = accept(value);
      if (item === undefined) return onBad(where, 'not the expected shape');
      out.push(item);
    });
  return out;
}

/** The parsed object, or why the line is not one. */
function parseObject(line: string): Record<string, unknown> | string {
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : 'not a JSON object';
  } catch (err) {
    return `not valid JSON (${(err as Error).message})`;
  }
}
