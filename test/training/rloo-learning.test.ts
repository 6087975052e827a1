import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { cli } from '../helpers/run-cli.js';
import { hedgingAnswers, sumRows } from './grpo-learning-helpers.js';
import { rlooKernel } from './rloo-helpers.js';
import { createTrainer, readMetrics, runConfig, writeJsonl, writeTinyModel } from './helpers.js';

/**
 * The demo's task: a tiny GPT-2 SFT'd on single-digit sums ("3+4=" → "7") where each prompt's answer is given once
 * and two non-answers ("no", "idk") as often, so it answers about a third of the time. `aligntune train` with
 * algo rloo and the `math` reward (16 prompts × rloo_k 8 per rollout batch, 2 epochs × 2 mini-batches of 64) must
 * raise the score of its own samples. Seeds 3–5: 0.27–0.36 → 0.76–0.91 (about 7 s of training on 2 cores).
 * RLOO_LEARNING_SEED=n and RLOO_LEARNING_LOG=1 rerun it with another model
 * seed, printing.
 */
const SEED = Number(process.env.RLOO_LEARNING_SEED ?? 3);

describe('RLOO learns single-digit sums (aligntune train)', () => {
  const rows = sumRows();
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'aligntune-rloo-learning-'));
    await writeTinyModel(join(dir, 'base'), 'gpt2', { weights: 'init', seed: SEED });
    const sftData = writeJsonl(join(dir, 'sft.jsonl'), hedgingAnswers(rows, 2));
    const sft = await createTrainer(runConfig('sft', join(dir, 'base'), sftData, join(dir, 'sft'), { per_device_batch_size: 165, max_steps: 300, learning_rate: 1e-2, lr_scheduler: 'constant', seed: SEED }), rlooKernel());
    await sft.train();
  }, 120_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('with the math reward, the mean score of the sampled completions rises', async () => {
    const prompts = writeJsonl(join(dir, 'prompts.jsonl'), rows.map((r) => ({ prompt: r.prompt, answer: r.answer })));
    const out = join(dir, 'rloo');
    const train = {
      rloo_k: 8, per_device_batch_size: 64, rollout_batch_size: 128, num_ppo_epochs: 2, response_length: 4, temperature: 1,
      learning_rate: 1e-3, lr_scheduler: 'constant', max_steps: 24, seed: SEED,
    };
    const config = join(dir, 'rloo.yaml');
    writeFileSync(config, stringify(runConfig('rloo', join(dir, 'sft/final'), prompts, out, train, { rewards: [{ type: 'math' }] })));
    const run = await cli('train', '--config', config, '--quiet');
    expect(run.code, run.stderr).toBe(0);
    // objective/scores is logged at the first step of each rollout batch (4 steps each)
    const scores = readMetrics(join(out, 'metrics.jsonl')).flatMap((row) => (row['objective/scores'] === undefined ? [] : [row['objective/scores']]));
    if (process.env.RLOO_LEARNING_LOG) console.log('rloo', scores);
    expect(scores).toHaveLength(6);
    expect(scores[0]!).toBeLessThan(0.5);
    expect(scores.at(-1)! - scores[0]!).toBeGreaterThan(0.3);
  }, 180_000);
});
