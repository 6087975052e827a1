import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExtensionPoints, loadModel, RolloutEngine, type GraphExecutor, type Kernel, type Tokenizer } from '@aligntune/core';
import { afterAll, beforeAll } from 'vitest';
import { grpoKernel } from './grpo-helpers.js';
import { createTrainer, runConfig, tinyTokenizer, writeJsonl, writeTinyModel } from './helpers.js';

/** Single-digit addition with a single-digit answer: "3+4=" → "7". */
export interface SumRow {
  readonly prompt: string;
  readonly answer: string;
}

export function sumRows(): SumRow[] {
  const rows: SumRow[] = [];
  for (let a = 0; a <= 9; a++) for (let b = 0; a + b <= 9; b++) rows.push({ prompt: `${a}+${b}=`, answer: String(a + b) });
  return rows;
}

/** Fraction of sampled completions (temperature 1, `samples` per prompt) whose text is exactly the answer. */
export async function sampledAccuracy(dir: string, rows: readonly SumRow[], options: { kernel: Kernel; executor: GraphExecutor; tokenizer: Tokenizer; samples: number; seed: number }): Promise<number> {
  const model = await loadModel(dir, { kernel: options.kernel });
  const engine = await RolloutEngine.create(model, options.executor, { tokenizer: options.tokenizer, weights: 'initializer' });
  try {
    const { completions } = await engine.generate(rows.map((r) => r.prompt), { maxNewTokens: 4, temperature: 1, numReturnSequences: options.samples, seed: options.seed });
    const hits = completions.filter((c) => c.text.trim() === rows[c.promptIndex]!.answer).length;
    return hits / completions.length;
  } finally {
    await engine.dispose();
  }
}

/**
 * SFT rows that teach a hedging policy: per prompt one correct answer and `junk` non-answers ("no", "idk", ...),
 * so the SFT'd model answers about 1 / (1 + junk) of the time. Refusing to answer is a prompt-independent habit
 * the math reward penalises, so GRPO on some prompts removes it on prompts it never saw.
 */
export function hedgingAnswers(rows: readonly SumRow[], junk: number): Array<{ prompt: string; completion: string }> {
  const words = ['no', 'idk', 'hmm', 'why'];
  return rows.flatMap((r) => [{ prompt: r.prompt, completion: r.answer }, ...words.slice(0, junk).map((w) => ({ prompt: r.prompt, completion: w }))]);
}

/** The sums workspace the GRPO learning tests share: a kernel and executor, the prompt split, and the SFT'd hedging model. */
export interface HedgingModel {
  readonly dir: string;
  readonly kernel: Kernel;
  readonly executor: GraphExecutor;
  /** Three quarters of the prompts to train on, and the held-out quarter. */
  readonly train: readonly SumRow[];
  readonly heldOut: readonly SumRow[];
  /** The SFT'd model directory and its held-out sampled accuracy. */
  readonly sft: string;
  readonly start: number;
  /** Sampled accuracy (32 samples per prompt, seed 11) of a model directory on `set`. */
  accuracy(model: string, set: readonly SumRow[]): Promise<number>;
  dispose(): Promise<void>;
}

/** A tiny GPT-2 (model seed `seed`) SFT'd for 300 steps on hedgingAnswers(sums, 2), in a fresh directory kept until dispose(). */
export async function hedgingModel(kernel: Kernel, seed: number): Promise<HedgingModel> {
  const dir = mkdtempSync(join(tmpdir(), 'aligntune-grpo-learning-')); // shared by a file's tests: not tempDir (removed after each)
  const executor = (await kernel.create(ExtensionPoints.computeBackend, 'cpu')) as GraphExecutor;
  const rows = sumRows();
  await writeTinyModel(join(dir, 'base'), 'gpt2', { weights: 'init', seed });
  const sftData = writeJsonl(join(dir, 'sft.jsonl'), hedgingAnswers(rows, 2));
  const sft = await createTrainer(runConfig('sft', join(dir, 'base'), sftData, join(dir, 'sft'), { per_device_batch_size: 165, max_steps: 300, learning_rate: 1e-2, lr_scheduler: 'constant', seed }), kernel);
  await sft.train();
  const accuracy = (model: string, set: readonly SumRow[]) => sampledAccuracy(model, set, { kernel, executor, tokenizer: tinyTokenizer(), samples: 32, seed: 11 });
  const heldOut = rows.filter((_, i) => i % 4 === 0);
  return {
    dir, kernel, executor, heldOut,
    train: rows.filter((_, i) => i % 4 !== 0),
    sft: join(dir, 'sft/final'),
    start: await accuracy(join(dir, 'sft/final'), heldOut),
    accuracy,
    dispose: async () => {
      await executor.dispose();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** hedgingModel for the tests of the calling file (or describe block): made before them, disposed after; call the result inside a test. */
export function useHedgingModel(seed: number): () => HedgingModel {
  let setup: HedgingModel | undefined;
  beforeAll(async () => {
    setup = await hedgingModel(grpoKernel(), seed);
  }, 120_000);
  afterAll(async () => {
    await setup?.dispose();
  });
  return () => setup!;
}
