import { join } from 'node:path';
import { cli } from './run-cli.js';

/** `aligntune model init --arch gpt2 --preset tiny` into `<dir>/model`; returns that directory. */
export async function initTinyGpt2(dir: string): Promise<string> {
  const model = join(dir, 'model');
  const init = await cli('model', 'init', '--arch', 'gpt2', '--preset', 'tiny', '--out', model);
  if (init.code !== 0) throw new Error(`model init failed: ${init.stderr}`);
  return model;
}
