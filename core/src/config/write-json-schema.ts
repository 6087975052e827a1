import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { generateJsonSchema } from './json-schema.js';

/** Where the committed schema lives, relative to the repository root. */
export const JSON_SCHEMA_PATH = 'configs/aligntune.schema.json';

/** The schema file's exact text; the staleness test compares the committed file with it. */
export function renderJsonSchema(): string {
  return `${JSON.stringify(generateJsonSchema(), null, 2)}\n`;
}

/**
 * Regenerates configs/aligntune.schema.json. Run after changing a config class:
 *   npm run build && node core/dist/config/write-json-schema.js
 * or UPDATE_JSON_SCHEMA=1 npx vitest run test/config/json-schema.test.ts
 */
export function writeJsonSchema(file: string = resolve(JSON_SCHEMA_PATH)): string {
  writeFileSync(file, renderJsonSchema());
  return file;
}

// Run as a script (node core/dist/config/write-json-schema.js), not when imported.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(`wrote ${writeJsonSchema()}`);
}
