import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { Tokenizer } from '@aligntune/core';
import { buildTinyChatTokenizerFiles } from '@aligntune/core/testing';
import { cli } from '../helpers/run-cli.js';
import { initTinyModel } from '../helpers/sums-learning.js';
import { removeDir, tempDir } from '../helpers/temp-project.js';

/**
 * The demo's single-digit sums, learned through the CLI by each family this issue adds: `model init` (tiny preset),
 * `train` (SFT on "a+b=" → the sum) and `evaluate` (greedy accuracy with the math reward). The sums are the training
 * ones, so this shows the architecture learns, not that it generalises (the demo's held-out numbers are the README's).
 */
let dir: string;
const SUMS = Array.from({ length: 100 }, (_, i) => ({ prompt: `${Math.floor(i / 10)}+${i % 10}=`, answer: String(Math.floor(i / 10) + (i % 10)) }));
// Llama 3.1's RoPE on the tiny preset: the preset writes default RoPE, config.json is edited as a user would.
const LLAMA3_ROPE = { rope_theta: 500000, rope_scaling: { rope_type: 'llama3', factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 64 } };

function jsonl(file: string, rows: readonly unknown[]): void {
  writeFileSync(file, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
}

beforeAll(async () => {
  dir = tempDir('aligntune-rope-families-');
  await new Tokenizer(buildTinyChatTokenizerFiles(), 'tiny-chat').save(join(dir, 'tokenizer'));
  mkdirSync(join(dir, 'sums'));
  jsonl(join(dir, 'sft.jsonl'), SUMS.map((s) => ({ prompt: s.prompt, completion: s.answer })));
  jsonl(join(dir, 'sums/train.jsonl'), SUMS);
  jsonl(join(dir, 'sums/test.jsonl'), SUMS.filter((_, i) => i % 5 === 0));
});

afterAll(() => removeDir(dir));

function writeYaml(name: string, config: Record<string, unknown>): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, stringify(config));
  return file;
}

async function accuracy(model: string, evalConfig: string): Promise<number> {
  const run = await cli('evaluate', '--model', model, '--config', evalConfig, '--json', '--quiet');
  expect(run.code, run.stderr).toBe(0);
  return (JSON.parse(run.stdout) as { datasets: { metrics: { accuracy: number } }[] }).datasets[0]!.metrics.accuracy;
}

describe.each([
  ['llama', 'Llama 3 (llama3 RoPE)', LLAMA3_ROPE],
  ['phi3', 'Phi-3 / Phi-4-mini (fused projections, partial rotary)', {}],
  ['smollm3', 'SmolLM3 (a NoPE layer)', {}],
])('%s: %s learns the sums through the CLI', (arch, _label, configEdits) => {
  it('model init → train (SFT) → evaluate: greedy accuracy on the sums goes from near 0 to most of them', async () => {
    const model = join(dir, `${arch}-base`);
    await initTinyModel(model, arch, join(dir, 'tokenizer'), { seed: 1, configJson: configEdits });
    const out = join(dir, `${arch}-sft`);
    const sft = writeYaml(`${arch}-sft`, {
      algo: 'sft',
      model: { name_or_path: model },
      datasets: [{ name: join(dir, 'sft.jsonl') }],
      train: { per_device_batch_size: 25, max_steps: 200, learning_rate: 3e-3, lr_scheduler: 'cosine', warmup_steps: 5, max_length: 16, max_prompt_length: 8, logging_steps: 20, save_interval: 0, seed: 1, completion_only_loss: true },
      logging: { output_dir: out },
      caching: { enabled: false },
    });
    const evalConfig = writeYaml(`${arch}-eval`, {
      algo: 'grpo',
      model: { name_or_path: model },
      datasets: [{ name: join(dir, 'sums'), eval_split: 'test', task_type: 'math' }],
      tasks: [{ name: 'math', params: { instruction: '' } }],
      rewards: [{ type: 'math' }],
      train: { max_completion_length: 4, max_prompt_length: 8, max_steps: 1 },
      logging: { output_dir: join(dir, `${arch}-eval`) },
      caching: { enabled: false },
    });
    const before = await accuracy(model, evalConfig);
    const train = await cli('train', '--config', sft, '--quiet');
    expect(train.code, train.stderr).toBe(0);
    const after = await accuracy(join(out, 'final'), evalConfig);
    expect(before).toBeLessThan(0.2);
    expect(after).toBeGreaterThan(0.8);
  });
});
