import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { writeFileSync } from 'node:fs';
import { cli } from '../helpers/run-cli.js';
import { readMetrics, tempDir } from '../training/helpers.js';

const ROWS = 200_000;

/** A preference JSONL of `rows` short rows, streamed to disk. */
async function writePreferences(path: string, rows: number): Promise<void> {
  const out = createWriteStream(path);
  for (let i = 0; i < rows; i++) {
    if (!out.write(`${JSON.stringify({ prompt: `q ${i % 97}`, chosen: `yes ${i % 13}`, rejected: 'no' })}\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

describe('datasets larger than the JS argument limit', () => {
  // 200,000 rows: mixing once spread every row index into one call (Maximum call stack size exceeded above ~120k)
  it('trains a DPO step on 200,000 rows, then again from the dataset cache', { timeout: 240_000 }, async () => {
    const dir = tempDir();
    const model = join(dir, 'tiny-gpt2');
    expect((await cli('model', 'init', '--arch', 'gpt2', '--preset', 'tiny', '--out', model)).code).toBe(0);
    await writePreferences(join(dir, 'prefs.jsonl'), ROWS);
    const config = (name: string) => {
      const file = join(dir, `${name}.yaml`);
      writeFileSync(file, stringify({
        algo: 'dpo',
        model: { name_or_path: model },
        datasets: [{ name: join(dir, 'prefs.jsonl') }],
        train: { per_device_batch_size: 2, max_steps: 1, max_length: 16, max_prompt_length: 8, save_interval: 0, eval_fraction: 0.00001, precompute_ref_log_probs: false },
        logging: { output_dir: join(dir, name), level: 'warn' },
        caching: { root: join(dir, 'cache') },
      }));
      return file;
    };
    for (const name of ['first', 'cached']) {
      const run = await cli('train', '--config', config(name));
      expect(run.code, run.stderr).toBe(0);
      expect(new Set(readMetrics(join(dir, name, 'metrics.jsonl')).map((r) => r.step))).toEqual(new Set([1]));
    }
    const list = await cli('cache', 'ls', '--root', join(dir, 'cache'), '--json');
    expect((JSON.parse(list.stdout) as Array<{ rows: number }>).map((e) => e.rows)).toEqual([ROWS]);
  });
});
