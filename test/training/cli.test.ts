import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { parse, stringify } from 'yaml';
import { cli } from '../helpers/run-cli.js';
import { readMetrics, tempDir } from './helpers.js';

const ROOT = resolve(import.meta.dirname, '../..');

/** configs/<name>.yaml with its model and output (`<dir>/<out>`) redirected to scratch paths. */
function tinyConfig(dir: string, name: 'sft-tiny' | 'dpo-tiny', model: string, extraTrain: Record<string, unknown> = {}, plugins?: string[], out: string = name): string {
  const config = parse(readFileSync(join(ROOT, 'configs', `${name}.yaml`), 'utf8')) as Record<string, Record<string, unknown>>;
  if (plugins) (config as Record<string, unknown>).plugins = plugins;
  if (name === 'sft-tiny') config.logging!.level = 'warn';
  config.model!.name_or_path = model;
  config.logging!.output_dir = join(dir, out);
  config.train = { ...config.train, max_steps: 2, ...extraTrain };
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, stringify(config));
  return file;
}

describe('aligntune train (CLI)', () => {
  it('model init, then configs/sft-tiny.yaml and configs/dpo-tiny.yaml (hh-rlhf fixture) train end to end', { timeout: 180_000 }, async () => {
    const dir = tempDir();
    const model = join(dir, 'tiny-gpt2');
    const init = await cli('model', 'init', '--arch', 'gpt2', '--preset', 'tiny', '--out', model);
    expect(init.code, init.stderr).toBe(0);
    for (const name of ['sft-tiny', 'dpo-tiny'] as const) {
      // a relative `plugins:` path is relative to the config file (not the working directory) for train as for validate
      const plugins = name === 'sft-tiny' ? [relative(dir, join(ROOT, 'test/fixtures/plugins/rewards'))] : undefined;
      // winston's Console transport writes to the console's own stderr stream
      const consoleStderr = vi.spyOn((console as unknown as { _stderr: NodeJS.WriteStream })._stderr, 'write').mockImplementation(() => true);
      const run = await cli('train', '--config', tinyConfig(dir, name, model, name === 'dpo-tiny' ? { beta: 0.2 } : {}, plugins));
      const consoleText = consoleStderr.mock.calls.map((call) => String(call[0])).join('');
      consoleStderr.mockRestore();
      expect(run.code, run.stderr).toBe(0);
      const rows = readMetrics(join(dir, name, 'metrics.jsonl'));
      expect(rows.map((r) => r.step)).toEqual([1, 2]);
      expect(Number.isFinite(rows[1]!.loss)).toBe(true);
      if (name === 'dpo-tiny') expect(rows[0]!.loss).toBeCloseTo(Math.log(2), 4);
      const resolved = readFileSync(join(dir, name, 'config.resolved.yaml'), 'utf8');
      expect(resolved).toContain(name === 'dpo-tiny' ? 'beta: 0.2' : 'completion_only_loss: true');
      // what the report shows: only the settings the algorithm uses (the seed's PPO keys are neither SFT's nor DPO's)
      expect(resolved).not.toMatch(/kl_coef|cliprange|num_ppo_epochs|rollout_batch_size/);
      expect(readFileSync(join(dir, name, 'logs/run.log'), 'utf8')).toContain('saved the final model');
      // logging.level sets the console level; the run log keeps everything
      expect(consoleText.includes('saved the final model')).toBe(name !== 'sft-tiny');
    }
    // SFT on a preference-only file: nothing to train on is the user's to fix (exit code 2), and says what is missing
    const mismatch = tinyConfig(dir, 'sft-tiny', model, {}, undefined, 'sft-mismatch'); // a fresh output_dir: sft-tiny holds a run
    writeFileSync(mismatch, readFileSync(mismatch, 'utf8').replace(/examples\/data\/sft\.jsonl/, 'examples/data/preferences.jsonl'));
    const wrongKind = await cli('train', '--config', mismatch);
    expect(wrongKind.code).toBe(2);
    expect(wrongKind.stderr).toContain('no training rows of kind completion');
    // a model directory without tokenizer.json names the file (exit code 2)
    rmSync(join(model, 'tokenizer.json'));
    const noTokenizer = await cli('train', '--config', tinyConfig(dir, 'dpo-tiny', model, {}, undefined, 'dpo-no-tokenizer'));
    expect(noTokenizer.code).toBe(2);
    expect(noTokenizer.stderr).toContain(`${join(model, 'tokenizer.json')}: not found`);
  });
});
