import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../helpers/run-cli.js';
import { REPO_ROOT, tempDir } from '../helpers/temp-project.js';

/** `model.max_memory`: the trainer's estimate is checked before the first step; a run over budget exits 2 saying what to change. */

let dir: string;
let model: string;

function bin(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [join(REPO_ROOT, 'core/bin/aligntune.js'), ...args], { cwd: REPO_ROOT, encoding: 'utf8' });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function writeConfig(name: string, algo: 'sft' | 'dpo', maxMemory: Record<string, string>): string {
  const data = join(REPO_ROOT, algo === 'sft' ? 'examples/data/sft.jsonl' : 'examples/data/preferences.jsonl');
  const config = {
    algo,
    model: { name_or_path: model, max_memory: maxMemory },
    datasets: [{ name: data, max_samples: 8 }],
    train: { per_device_batch_size: 2, max_length: 48, max_prompt_length: 24, max_steps: 2, logging_steps: 1, save_interval: 0 },
    logging: { output_dir: join(dir, `out-${name}`) },
    caching: { enabled: false },
  };
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, stringify(config));
  return file;
}

beforeAll(async () => {
  dir = tempDir('aligntune-max-memory-');
  model = join(dir, 'model');
  const init = await cli('model', 'init', '--arch', 'gpt2', '--preset', 'tiny', '--out', model);
  expect(init.code, init.stderr).toBe(0);
});

describe('model.max_memory', () => {
  it('refuses a run whose step estimate exceeds the budget, before the first step, naming the key, the estimate and what to change', () => {
    const result = bin(['train', '--config', writeConfig('over', 'dpo', { cpu: '100MiB' })]);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toMatch(/model\.max_memory\.cpu: estimated [\d.]+ MiB per step \(.*activations [\d.]+ MiB.*frozen weights [\d.]+ MiB.*\) exceeds the budget of 100MiB/);
    expect(result.stderr).toContain('lower train.per_device_batch_size (raise train.gradient_accumulation_steps to keep the batch) or train.max_length');
    expect(existsSync(join(dir, 'out-over/metrics.jsonl'))).toBe(false);
  });

  it('trains within the budget and logs the estimate', () => {
    const result = bin(['train', '--config', writeConfig('within', 'sft', { cpu: '8GiB' })]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/memory: estimated [\d.]+ MiB per step \(.*\), within model\.max_memory\.cpu 8GiB/);
    expect(existsSync(join(dir, 'out-within/final'))).toBe(true);
  });

  it('refuses a size it cannot read and a device it does not check (validate, exit 2)', () => {
    const result = bin(['validate', '--config', writeConfig('bad', 'sft', { cpu: 'lots', '0': '20GiB' })]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('model.max_memory.cpu: "lots" is not a size: give a number with a unit, e.g. "8GiB", "8GB" or "512MiB"');
    expect(result.stderr).toContain('model.max_memory.0: only the host budget is checked (key "cpu"); a budget for device "0" is not supported yet');
  });
});
