import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ALGORITHM_TYPES, ConfigLoader } from '@aligntune/core';
import { catalogWithDpo, issueLines } from './fake-catalog.js';

const CONFIGS = 'configs';
const files = readdirSync(CONFIGS).filter((f) => f.endsWith('.yaml'));

describe('configs/ examples', () => {
  it('has an example per algorithm, the tiny runs and the multi-task example', () => {
    for (const algo of ALGORITHM_TYPES) expect(files).toContain(`${algo}-example.yaml`);
    expect(files).toEqual(expect.arrayContaining(['sft-tiny.yaml', 'dpo-tiny.yaml', 'multi-task-example.yaml']));
  });

  // Validation against the installed plugins (algorithm options included) is in test/cli/cli.test.ts.
  it.each(files)('%s references the JSON Schema', (file) => {
    const firstLine = readFileSync(join(CONFIGS, file), 'utf8').split('\n')[0];
    expect(firstLine).toBe('# yaml-language-server: $schema=./aligntune.schema.json');
  });

  it("the spec's own example precision (bf16) is accepted", () => {
    expect(ConfigLoader.load(join(CONFIGS, 'dpo-example.yaml'), { catalog: catalogWithDpo(), overrides: ['model.precision=bf16'] }).model.precision).toBe('bf16');
  });
});
