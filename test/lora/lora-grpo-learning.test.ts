import { join } from 'node:path';
import { expect, it } from 'vitest';
import { cli } from '../helpers/run-cli.js';
import { useHedgingModel } from '../training/grpo-learning-helpers.js';
import { createTrainer, runConfig, writeJsonl } from '../training/helpers.js';

/**
 * GRPO with LoRA on grpo-learning.test.ts's sums: a tiny GPT-2 SFT'd to hedge ("no", "idk" twice as often as the
 * answer) is trained with the math reward by full fine-tuning and by LoRA (all linear layers, the rollouts from base +
 * the live adapter); on the held-out quarter of the prompts LoRA must reach the full fine-tune's accuracy within a
 * few points. Measured (seed 3, 2 shared cores, ≈ 27 s with the SFT): start 0.30, full 0.90 (lr 3e-3), LoRA r 16 α 32
 * 0.95 (lr 5e-3); at lr ≥ 3e-2 LoRA collapses to no answers. LORA_LEARNING_LOG=1 prints the accuracies.
 */
const SEED = 3;
const GRPO = { num_generations: 8, max_completion_length: 4, max_steps: 30, warmup_steps: 5, lr_scheduler: 'constant', seed: SEED };

const setup = useHedgingModel(SEED);

async function grpo(name: string, lr: number, peft?: Record<string, unknown>): Promise<string> {
  const { dir, train, sft, kernel } = setup();
  const data = writeJsonl(join(dir, 'grpo.jsonl'), train.map((r) => ({ prompt: r.prompt, answer: r.answer })));
  const config = runConfig('grpo', sft, data, join(dir, name), { ...GRPO, learning_rate: lr, per_device_batch_size: train.length * 8 }, { rewards: [{ type: 'math' }] });
  if (peft) config.model = { ...(config.model as object), peft };
  await (await createTrainer(config, kernel)).train();
  return join(dir, name, 'final');
}

it('GRPO with LoRA reaches the full fine-tune\'s held-out accuracy within a few points', { timeout: 120_000 }, async () => {
  const { dir, heldOut, start, accuracy } = setup();
  const full = await accuracy(await grpo('full', 3e-3), heldOut);
  const adapter = await grpo('lora', 5e-3, { r: 16, lora_alpha: 32, target_modules: 'all-linear' });
  const merged = await cli('export', 'merged', '--adapter', adapter, '--out', join(dir, 'lora-merged'));
  expect(merged.code, merged.stderr).toBe(0);
  const lora = await accuracy(join(dir, 'lora-merged'), heldOut);
  if (process.env.LORA_LEARNING_LOG) console.log('ACC start', start, 'full', full, 'lora', lora);
  expect(start).toBeLessThan(0.4);
  expect(full - start).toBeGreaterThan(0.35);
  expect(lora).toBeGreaterThan(full - 0.05);
});
