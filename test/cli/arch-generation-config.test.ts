import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { cli, type CliResult } from '../helpers/run-cli.js';
import { prepareSums } from '../helpers/sums-learning.js';
import { readMetrics, tempDir } from '../training/helpers.js';

const G = 4;

/** A one-step GRPO run on the demo's sum prompts (`train` merged into its train section); its completions table. */
async function grpoRun(dir: string, model: string, name: string, algo: string, train: Record<string, unknown>): Promise<{ run: CliResult; groups: string[][]; log: string; entropy?: number }> {
  const out = join(dir, name);
  const config = {
    algo,
    model: { name_or_path: model },
    datasets: [{ name: join(dir, 'data/arithmetic') }],
    rewards: [{ type: 'math' }],
    train: { per_device_batch_size: 8, max_completion_length: 5, max_prompt_length: 8, max_steps: 1, save_interval: 0, seed: 3, log_completions_steps: 1, shuffle: false, ...train },
    logging: { output_dir: out, level: 'info' },
    caching: { enabled: false },
  };
  writeFileSync(join(dir, `${name}.yaml`), stringify(config));
  const run = await cli('train', '--config', join(dir, `${name}.yaml`));
  if (run.code !== 0) return { run, groups: [], log: '' };
  const rows = readFileSync(join(out, 'tables/completions/step-1.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { completion: string });
  const groups = Array.from({ length: rows.length / G }, (_, k) => rows.slice(k * G, (k + 1) * G).map((r) => r.completion));
  return { run, groups, log: readFileSync(join(out, 'logs/run.log'), 'utf8'), entropy: readMetrics(join(out, 'metrics.jsonl'))[0]!.entropy };
}

const distinct = (group: readonly string[]) => new Set(group).size;

/**
 * generation_config.json's sampling fields act on online rollouts unless the config sets them (user config >
 * generation_config.json > the algorithm's defaults), as transformers' generate fills a caller's unset fields from the
 * model's generation config; the resolved values are logged once.
 */
describe('aligntune train: generation_config.json sampling defaults for rollouts', () => {
  it('top_k 1 in generation_config.json makes every completion of a prompt the greedy one; train.top_k overrides it', { timeout: 120_000 }, async () => {
    const dir = tempDir();
    const { model } = await prepareSums(dir, 'llama');
    writeFileSync(join(model, 'generation_config.json'), JSON.stringify({ eos_token_id: 2, top_k: 1, temperature: 0.5, do_sample: true }));

    const fromFile = await grpoRun(dir, model, 'from-file', 'grpo', { num_generations: G });
    expect(fromFile.run.code, fromFile.run.stderr).toBe(0);
    expect(fromFile.log).toContain('sampling: temperature 0.5 (generation_config.json), top_k 1 (generation_config.json), top_p 1 (default)');
    expect(fromFile.groups.length).toBe(2);
    for (const group of fromFile.groups) expect(distinct(group), group.join(' | ')).toBe(1);

    const overridden = await grpoRun(dir, model, 'overridden', 'grpo', { num_generations: G, top_k: 0, temperature: 1.5 });
    expect(overridden.run.code, overridden.run.stderr).toBe(0);
    expect(overridden.log).toContain('sampling: temperature 1.5 (train.temperature), top_k 0 (train.top_k), top_p 1 (default)');
    for (const group of overridden.groups) expect(distinct(group), group.join(' | ')).toBeGreaterThan(1);

    // the file's temperature is the loss's too: the same run with it in the config (and other values in the file) logs the same entropy of logits / T
    writeFileSync(join(model, 'generation_config.json'), JSON.stringify({ eos_token_id: 2, top_k: 7, temperature: 2 }));
    const inConfig = await grpoRun(dir, model, 'in-config', 'grpo', { num_generations: G, top_k: 1, temperature: 0.5 });
    expect(inConfig.run.code, inConfig.run.stderr).toBe(0);
    expect(inConfig.groups).toEqual(fromFile.groups);
    expect(inConfig.entropy).toBeDefined();
    expect(inConfig.entropy).toBe(fromFile.entropy);
    const hotter = await grpoRun(dir, model, 'hotter', 'grpo', { num_generations: G, top_k: 1 });
    expect(hotter.log).toContain('sampling: temperature 2 (generation_config.json), top_k 1 (train.top_k), top_p 1 (default)');
    expect(hotter.entropy).toBeGreaterThan(fromFile.entropy! + 1e-3); // a random-init model is near uniform: T moves its entropy a little
  });

  it('do_sample false is warned about and rollouts still sample; a temperature the sampler cannot use exits 2 naming the file and field', { timeout: 120_000 }, async () => {
    const dir = tempDir();
    const { model } = await prepareSums(dir, 'llama');
    const file = join(model, 'generation_config.json');
    writeFileSync(file, JSON.stringify({ eos_token_id: 2, do_sample: false, repetition_penalty: 1.3 }));
    const greedyFile = await grpoRun(dir, model, 'no-sample', 'grpo', { num_generations: G });
    expect(greedyFile.run.code, greedyFile.run.stderr).toBe(0);
    expect(greedyFile.log).toContain('sets do_sample: false; rollouts sample anyway');
    expect(greedyFile.log).toContain("generation_config.json's repetition_penalty is not used for rollouts");
    expect(greedyFile.log).toContain('sampling: temperature 1 (default), top_k 0 (default), top_p 1 (default)');
    for (const group of greedyFile.groups) expect(distinct(group), group.join(' | ')).toBeGreaterThan(1);

    writeFileSync(file, JSON.stringify({ eos_token_id: 2, temperature: 0 }));
    const bad = await grpoRun(dir, model, 'bad', 'grpo', { num_generations: G });
    expect(bad.run.code).toBe(2);
    expect(bad.run.stderr).toContain(`${file}: field "temperature": must be a positive number to sample rollouts, got 0 (or set train.temperature)`);
  });
});
