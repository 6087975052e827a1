import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const DIR = join(import.meta.dirname, '../fixtures/model-configs');

/** A real checkpoint's config.json as its Hub repository ships it (test/fixtures/model-configs/<name>.json). */
export function realConfigJson(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(DIR, `${name}.json`), 'utf8')) as Record<string, unknown>;
}

/** The real config.json with its sizes (and whatever else `small` names) scaled down: every other field as shipped. */
export function scaledDown(name: string, small: Record<string, unknown>): Record<string, unknown> {
  return { ...realConfigJson(name), ...small };
}
