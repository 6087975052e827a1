import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/temp-project.js';
import { tinyModelDir, writeYamlConfig } from '../helpers/tiny-model-dir.js';

/**
 * The model's memory options through the CLI: `model.max_memory` (the trainer's estimate is checked before the
 * first step; a run over budget exits 2 saying what to change) and `model.gradient_checkpointing`.
 */

let dir: string;
let model: string;

function bin(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [join(REPO_ROOT, 'core/bin/aligntune.js'), ...args], { cwd: REPO_ROOT, encoding: 'utf8' });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function writeConfig(name: string, algo: 'sft' | 'dpo', maxMemory: Record<string, string>, checkpointing = false, modelFields: Record<string, unknown> = {}): string {
  const data = join(REPO_ROOT, algo === 'sft' ? 'examples/data/sft.jsonl' : 'examples/data/preferences.jsonl');
  const config = {
    algo,
    model: { name_or_path: model, max_memory: maxMemory, gradient_checkpointing: checkpointing, ...modelFields },
    datasets: [{ name: data, max_samples: 8 }],
    train: { per_device_batch_size: 2, max_length: 48, max_prompt_length: 24, max_steps: 2, logging_steps: 1, save_interval: 0 },
    logging: { output_dir: join(dir, `out-${name}`) },
    caching: { enabled: false },
  };
  return writeYamlConfig(dir, name, config);
}

beforeAll(async () => {
  ({ dir, model } = await tinyModelDir('aligntune-memory-options-'));
});

let within: ReturnType<typeof bin> | undefined;
/** One SFT run within an 8GiB budget, without checkpointing: the within-budget test's and gradient checkpointing's baseline. */
const trainWithinBudget = () => (within ??= bin(['train', '--config', writeConfig('within', 'sft', { cpu: '8GiB' })]));

describe('model.max_memory', () => {
  it('refuses a run whose step estimate exceeds the budget, before the first step, naming the key, the estimate and what to change', () => {
    const result = bin(['train', '--config', writeConfig('over', 'dpo', { cpu: '100MiB' })]);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toMatch(/model\.max_memory\.cpu: estimated [\d.]+ MiB per step \(.*activations [\d.]+ MiB.*frozen weights [\d.]+ MiB.*\) exceeds the budget of 100MiB/);
    expect(result.stderr).toContain('lower train.per_device_batch_size (raise train.gradient_accumulation_steps to keep the batch) or train.max_length');
    expect(existsSync(join(dir, 'out-over/metrics.jsonl'))).toBe(false);
  });

  it('trains within the budget and logs the estimate', () => {
    const result = trainWithinBudget();
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/memory: estimated [\d.]+ MiB per step \(.*\), within model\.max_memory\.cpu 8GiB/);
    expect(existsSync(join(dir, 'out-within/final'))).toBe(true);
  });

  it("counts the frozen reference at its stored size (bf16 half of fp32, 4-bit less) and suggests storing it smaller", () => {
    const frozenMiB = (storage: string, fields: Record<string, unknown>) => {
      const result = bin(['train', '--config', writeConfig(`over-${storage}`, 'dpo', { cpu: '100MiB' }, false, fields)]);
      expect(result.code, result.stderr).toBe(2);
      return { stderr: result.stderr, frozen: Number(/frozen weights ([\d.]+) MiB/.exec(result.stderr)![1]) };
    };
    const fp32 = frozenMiB('fp32', { precision: 'fp32' });
    const bf16 = frozenMiB('bf16', { precision: 'bf16' });
    const nf4 = frozenMiB('nf4', { precision: 'bf16', quantization: { load_in_4bit: true, bnb_4bit_quant_type: 'nf4' } });
    expect(bf16.frozen / fp32.frozen).toBeCloseTo(0.5, 1);
    expect(nf4.frozen).toBeLessThan(bf16.frozen);
    expect(fp32.stderr).toContain('store the frozen models smaller (model.precision: bf16, or model.quantization: {load_in_4bit: true})');
    expect(nf4.stderr).not.toContain('store the frozen models smaller');
  });

  it('refuses a size it cannot read and a device it does not check (validate, exit 2)', () => {
    const result = bin(['validate', '--config', writeConfig('bad', 'sft', { cpu: 'lots', '0': '20GiB' })]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('model.max_memory.cpu: "lots" is not a size: give a number with a unit, e.g. "8GiB", "8GB" or "512MiB"');
    expect(result.stderr).toContain('model.max_memory.0: only the host budget is checked (key "cpu"); a budget for device "0" is not supported yet');
  });
});

describe('model.gradient_checkpointing', () => {
  const estimate = (stderr: string) => Number(/memory: estimated ([\d.]+) MiB per step \(.*activations ([\d.]+) MiB/.exec(stderr)![2]);

  it('trains, and the step estimate counts one layer of activations instead of all', () => {
    const plain = trainWithinBudget();
    const recomputed = bin(['train', '--config', writeConfig('recomputed', 'sft', { cpu: '8GiB' }, true)]);
    expect(recomputed.code, recomputed.stderr).toBe(0);
    expect(existsSync(join(dir, 'out-recomputed/final'))).toBe(true);
    expect(estimate(recomputed.stderr)).toBeLessThan(estimate(plain.stderr));
  });
});
