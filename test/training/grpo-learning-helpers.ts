import { loadModel, RolloutEngine, type GraphExecutor, type Kernel, type Tokenizer } from '@aligntune/core';

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
