import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Rollout } from './rollout.js';

/** Writes TRL's completions table (prompt, completion, rewards, advantage) as `<dir>/step-<step>.jsonl`. */
export async function writeCompletionsTable(dir: string, step: number, rollouts: readonly Rollout[]): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = join(dir, `step-${step}.jsonl`);
  const lines = rollouts.map((r) => JSON.stringify({ step, prompt: r.prompt, completion: r.completion, rewards: r.rewards, reward: r.total, advantage: r.advantage }));
  await writeFile(file, lines.join('\n') + '\n');
  return file;
}
