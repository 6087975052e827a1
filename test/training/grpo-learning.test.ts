import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/run-cli.js';
import { useHedgingModel } from './grpo-learning-helpers.js';
import { createTrainer, readMetrics, runConfig, writeJsonl } from './helpers.js';

/**
 * A tiny GPT-2 is SFT'd on single-digit sums ("3+4=" → "7") where each prompt's answer is given once and two
 * non-answers ("no", "idk") as often, so it answers about a third of the time. GRPO with the `math` reward on
 * three quarters of the prompts must then raise the sampled accuracy (temperature 1, 32 samples per prompt) on
 * the quarter it never trained on: the hedging habit is prompt-independent. Measured on the shared 2-core
 * machine: SFT (300 steps) ≈ 5 s, each preset's 30 GRPO steps (328 completions each) ≈ 3–4 s; held-out accuracy
 * ≈ 0.30 → 0.71–0.90. GRPO_LEARNING_SEED=n and GRPO_LEARNING_LOG=1 rerun it with another model seed, printing.
 * GRPO with LoRA is trained on the same SFT'd model and compared with the full fine-tune's grpo run (one run serves both).
 */
const SEED = Number(process.env.GRPO_LEARNING_SEED ?? 3);
const GRPO_STEPS = 30;
const GRPO_TRAIN = { num_generations: 8, max_completion_length: 4, max_steps: GRPO_STEPS, warmup_steps: 5, lr_scheduler: 'constant' };

describe('GRPO family learns single-digit sums', () => {
  const setup = useHedgingModel(SEED);

  /** Trains `algo` (full fine-tune at lr 3e-3 unless `peft` is given) on the training prompts into `<dir>/<name>`. */
  async function train(name: string, algo: string, learningRate: number, peft?: Record<string, unknown>): Promise<string> {
    const { dir, kernel, train, sft } = setup();
    const data = writeJsonl(join(dir, `${name}.jsonl`), train.map((r) => ({ prompt: r.prompt, answer: r.answer })));
    const config = runConfig(algo, sft, data, join(dir, name), { ...GRPO_TRAIN, learning_rate: learningRate, per_device_batch_size: train.length * 8, seed: SEED }, { rewards: [{ type: 'math' }] });
    if (peft) config.model = { ...(config.model as object), peft };
    await (await createTrainer(config, kernel)).train();
    return join(dir, name);
  }

  const heldOutAccuracy = new Map<string, Promise<number>>();
  /** The held-out accuracy after a full fine-tune with `algo`, trained once for all the tests that ask. */
  function fullFineTune(algo: string): Promise<number> {
    const { heldOut, accuracy } = setup();
    if (!heldOutAccuracy.has(algo)) heldOutAccuracy.set(algo, train(algo, algo, 3e-3).then((out) => accuracy(join(out, 'final'), heldOut)));
    return heldOutAccuracy.get(algo)!;
  }

  // dapo's dynamic sampling is on (max_resample 8): tied groups are replaced by fresh prompts
  it.each(['grpo', 'dapo', 'drgrpo', 'gspo'])('%s raises held-out accuracy', async (algo) => {
    const { dir, start } = setup();
    const after = await fullFineTune(algo);
    const metrics = readMetrics(join(dir, algo, 'metrics.jsonl'));
    if (process.env.GRPO_LEARNING_LOG) console.log('ACC', algo, start, after);
    expect(start).toBeLessThan(0.4);
    // ≈ 0.72–0.9 over model seeds 3–5 (seed 3: grpo 0.90, dapo 0.75, drgrpo 0.71, gspo 0.90)
    expect(after).toBeGreaterThan(0.65);
    expect(after - start).toBeGreaterThan(0.35);
    expect(metrics.at(-1)!.reward!).toBeGreaterThan(metrics[0]!.reward! + 0.3);
  }, 120_000);

  /**
   * LoRA (all linear layers, the rollouts from base + the live adapter) must reach the full fine-tune's held-out
   * accuracy within a few points. Measured (seed 3, 2 shared cores): start 0.30, full 0.90 (lr 3e-3), LoRA r 16 α 32
   * 0.95 (lr 5e-3); at lr ≥ 3e-2 LoRA collapses to no answers. LORA_LEARNING_LOG=1 prints the accuracies.
   */
  it('GRPO with LoRA reaches the full fine-tune\'s held-out accuracy within a few points', { timeout: 120_000 }, async () => {
    const { dir, heldOut, start, accuracy } = setup();
    const full = await fullFineTune('grpo');
    const adapter = join(await train('lora', 'grpo', 5e-3, { r: 16, lora_alpha: 32, target_modules: 'all-linear' }), 'final');
    const merged = await cli('export', 'merged', '--adapter', adapter, '--out', join(dir, 'lora-merged'));
    expect(merged.code, merged.stderr).toBe(0);
    const lora = await accuracy(join(dir, 'lora-merged'), heldOut);
    if (process.env.LORA_LEARNING_LOG) console.log('ACC start', start, 'full', full, 'lora', lora);
    expect(start).toBeLessThan(0.4);
    expect(full - start).toBeGreaterThan(0.35);
    expect(lora).toBeGreaterThan(full - 0.05);
  });
});
