import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { cli } from '../helpers/run-cli.js';
import { tempDir } from '../training/helpers.js';

const row = (i: number) => JSON.stringify({ prompt: `q ${i}`, chosen: `yes ${i}`, rejected: 'no' });

describe('malformed rows in the middle of a file', () => {
  it('stop the run before training (exit 2, file and line) unless on_bad_rows: skip, which counts, reports and skips them', { timeout: 120_000 }, async () => {
    const dir = tempDir();
    const model = join(dir, 'tiny-gpt2');
    expect((await cli('model', 'init', '--arch', 'gpt2', '--preset', 'tiny', '--out', model)).code).toBe(0);
    const lines = Array.from({ length: 3000 }, (_, i) => row(i));
    lines[1499] = '{"prompt": "q", "chosen": '; // line 1500: cut short
    lines[2199] = '["not", "an", "object"]'; // line 2200
    writeFileSync(join(dir, 'prefs.jsonl'), `${lines.join('\n')}\n`);
    const config = (name: string, dataset: Record<string, unknown>) => {
      const file = join(dir, `${name}.yaml`);
      writeFileSync(file, stringify({
        algo: 'dpo',
        model: { name_or_path: model },
        datasets: [{ name: join(dir, 'prefs.jsonl'), ...dataset }],
        train: { per_device_batch_size: 2, max_steps: 1, max_length: 16, max_prompt_length: 8, save_interval: 0 },
        logging: { output_dir: join(dir, name), level: 'error' },
        caching: { root: join(dir, 'cache'), num_proc: 2 },
      }));
      return file;
    };
    const strict = await cli('train', '--config', config('strict', {}));
    expect(strict.code).toBe(2);
    expect(strict.stderr).toContain(`${join(dir, 'prefs.jsonl')}:1500: invalid JSON`);
    expect(existsSync(join(dir, 'strict', 'metrics.jsonl'))).toBe(false);
    const lenient = await cli('train', '--config', config('lenient', { on_bad_rows: 'skip' }));
    expect(lenient.code, lenient.stderr).toBe(0);
    const log = readFileSync(join(dir, 'lenient', 'logs', 'run.log'), 'utf8');
    expect(log).toContain(`2 malformed rows of ${join(dir, 'prefs.jsonl')} were skipped (on_bad_rows: skip): ${join(dir, 'prefs.jsonl')}:1500: invalid JSON`);
    expect(log).toContain(`${join(dir, 'prefs.jsonl')}:2200: expected a JSON object (one row), found an array`);
    const entries = JSON.parse((await cli('cache', 'ls', '--root', join(dir, 'cache'), '--json')).stdout) as Array<{ rows: number }>;
    expect(entries.map((e) => e.rows)).toEqual([2998]);
  });
});
