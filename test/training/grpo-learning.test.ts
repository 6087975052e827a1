import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useHedgingModel } from './grpo-learning-helpers.js';
import { createTrainer, readMetrics, runConfig, writeJsonl } from './helpers.js';

/**
 * A tiny GPT-2 is SFT'd on single-digit sums ("3+4=" → "7") where each prompt's answer is given once and two
 * non-answers ("no", "idk") as often, so it answers about a third of the time. GRPO with the `math` reward on
 * three quarters of the prompts must then raise the sampled accuracy (temperature 1, 32 samples per prompt) on
 * the quarter it never trained on: the hedging habit is prompt-independent. Measured on the shared 2-core
 * machine: SFT (300 steps) ≈ 5 s, each preset's 30 GRPO steps (328 completions each) ≈ 3–4 s; held-out accuracy
 * ≈ 0.30 → 0.71–0.90. GRPO_LEARNING_SEED=n and GRPO_LEARNING_LOG=1 rerun it with another model seed, printing.
 */
const SEED = Number(process.env.GRPO_LEARNING_SEED ?? 3);
const GRPO_STEPS = 30;
const GRPO_TRAIN = { num_generations: 8, max_completion_length: 4, max_steps: GRPO_STEPS, learning_rate: 3e-3, warmup_steps: 5, lr_scheduler: 'constant' };

describe('GRPO family learns single-digit sums', () => {
  const setup = useHedgingModel(SEED);

  // dapo's dynamic sampling is on (max_resample 8): tied groups are replaced by fresh prompts
  it.each(['grpo', 'dapo', 'drgrpo', 'gspo'])('%s raises held-out accuracy', async (algo) => {
    const { dir, kernel, train, heldOut, sft, start, accuracy } = setup();
    const data = writeJsonl(join(dir, `${algo}.jsonl`), train.map((r) => ({ prompt: r.prompt, answer: r.answer })));
    const out = join(dir, algo);
    const trainer = await createTrainer(runConfig(algo, sft, data, out, { ...GRPO_TRAIN, per_device_batch_size: train.length * 8, seed: SEED }, { rewards: [{ type: 'math' }] }), kernel);
    await trainer.train();
    const after = await accuracy(join(out, 'final'), heldOut);
    const metrics = readMetrics(join(out, 'metrics.jsonl'));
    if (process.env.GRPO_LEARNING_LOG) console.log('ACC', algo, start, after);
    expect(start).toBeLessThan(0.4);
    // ≈ 0.72–0.9 over model seeds 3–5 (seed 3: grpo 0.90, dapo 0.75, drgrpo 0.71, gspo 0.90)
    expect(after).toBeGreaterThan(0.65);
    expect(after - start).toBeGreaterThan(0.35);
    expect(metrics.at(-1)!.reward!).toBeGreaterThan(metrics[0]!.reward! + 0.3);
  }, 120_000);
});
