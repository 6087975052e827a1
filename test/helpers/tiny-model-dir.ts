import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { expect } from 'vitest';
import { cli } from './run-cli.js';
import { tempDir } from './temp-project.js';

/** A scratch directory with `model/`: a random-init tiny GPT-2 from `aligntune model init`, what CLI tests train. */
export async function tinyModelDir(prefix: string): Promise<{ dir: string; model: string }> {
  const dir = tempDir(prefix);
  const model = join(dir, 'model');
  const init = await cli('model', 'init', '--arch', 'gpt2', '--preset', 'tiny', '--out', model);
  expect(init.code, init.stderr).toBe(0);
  return { dir, model };
}

/** `config` written as `<dir>/<name>.yaml`; returns the file. */
export function writeYamlConfig(dir: string, name: string, config: object): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, stringify(config));
  return file;
}
