// The demo's data: single-digit sums ("3+4=" → "7"), split into problems trained on and problems held out.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SeededRandom } from '@aligntune/core/util';

/** The teacher's non-answer. The math reward scores it 0, so GRPO has something to unlearn. */
const NON_ANSWER = 'idk';

/** Every a+b with a, b in 0..9: 100 problems, answers 0..18. */
function sumProblems() {
  const problems = [];
  for (let a = 0; a <= 9; a++) for (let b = 0; b <= 9; b++) problems.push({ prompt: `${a}+${b}=`, answer: String(a + b) });
  return problems;
}

/** A seeded shuffle cut into `heldOut` test problems and the rest for training. */
function splitProblems(problems, { heldOut, seed }) {
  // core's generator: the split must not depend on Math.random
  const random = new SeededRandom(seed, 'demo-split');
  const shuffled = problems.map((p) => [random.nextFloat(), p]).sort((x, y) => x[0] - y[0]).map(([, p]) => p);
  return { test: shuffled.slice(0, heldOut), train: shuffled.slice(heldOut) };
}

/**
 * SFT rows from a teacher who answers only half the time: each training problem once with its answer and once
 * with "idk". SFT imitates both; GRPO with the math reward then keeps the sums and drops the shrug.
 */
function sftRows(train) {
  return train.flatMap((p) => [
    { prompt: p.prompt, completion: p.answer },
    { prompt: p.prompt, completion: NON_ANSWER },
  ]);
}

/**
 * Writes `<dir>/sft.jsonl` (SFT) and `<dir>/arithmetic/{train,test}.jsonl` (GRPO prompts with their reference
 * answers, and the held-out split `aligntune evaluate` scores); returns the split.
 */
export function writeDemoData(dir, { heldOut, seed }) {
  const split = splitProblems(sumProblems(), { heldOut, seed });
  mkdirSync(join(dir, 'arithmetic'), { recursive: true });
  writeJsonl(join(dir, 'sft.jsonl'), sftRows(split.train));
  writeJsonl(join(dir, 'arithmetic/train.jsonl'), split.train);
  writeJsonl(join(dir, 'arithmetic/test.jsonl'), split.test);
  return split;
}

function writeJsonl(file, rows) {
  writeFileSync(file, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
}
