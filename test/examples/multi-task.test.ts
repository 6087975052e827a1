import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initModelDir, Tokenizer } from '@aligntune/core';
import { buildTinyChatTokenizerFiles } from '@aligntune/core/testing';
import { LLAMA_MODEL_TYPES } from '@aligntune/plugin-arch-llama';
import { cli } from '../helpers/run-cli.js';
import { REPO_ROOT, removeDir, tempDir } from '../helpers/temp-project.js';

const EXAMPLE = join(REPO_ROOT, 'examples/multi-task');

const jsonl = (file: string) =>
  readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, any>);

/** The text each fixture row contributes to its prompt, by task: what identifies a logged prompt's dataset. */
function fixturePrompts(): Record<string, string[]> {
  return {
    math: jsonl(join(EXAMPLE, 'data/math.jsonl')).map((row) => row.question as string),
    code: jsonl(join(EXAMPLE, 'data/code.jsonl')).map((row) => row.instruction as string),
    conversation: jsonl(join(EXAMPLE, 'data/conversation.jsonl')).map((row) => row.messages[0].content as string),
  };
}

describe('examples/multi-task: the seed multi-task config on local data', () => {
  let dir: string;

  beforeAll(async () => {
    dir = tempDir('aligntune-multi-task-');
    await initModelDir(join(dir, 'model'), { modelTypes: LLAMA_MODEL_TYPES, arch: 'llama', size: 'tiny', tokenizer: new Tokenizer(buildTinyChatTokenizerFiles(), 'tiny-chat') });
  });

  afterAll(() => removeDir(dir));

  it('keeps the seed example datasets, tasks and rewards, with local files', () => {
    const seed = parse(readFileSync(join(REPO_ROOT, 'configs/multi-task-example.yaml'), 'utf8')) as Record<string, any>;
    const local = parse(readFileSync(join(EXAMPLE, 'config.yaml'), 'utf8')) as Record<string, any>;
    const shape = (config: Record<string, any>) => ({
      algo: config.algo,
      precision: config.model.precision,
      datasets: config.datasets.map((ds: Record<string, unknown>) => [ds.task_type, ds.weight]),
      tasks: config.tasks,
      rewards: config.rewards.map((r: Record<string, unknown>) => [r.type, r.weight, r.shield ?? false]),
    });
    expect(shape(local)).toEqual(shape(seed));
  });

  it('trains PPO on a mixture of math, code and conversation prompts in the configured proportions', { timeout: 120_000 }, async () => {
    const out = join(dir, 'out');
    const run = await cli(
      'train', '--config', join(EXAMPLE, 'config.yaml'),
      '--set', `model.name_or_path=${join(dir, 'model')}`,
      '--set', `logging.output_dir=${out}`,
      '--set', 'train.max_steps=2',
    );
    expect(run.code, run.stderr).toBe(0);
    expect(jsonl(join(out, 'metrics.jsonl')).map((row) => row.step)).toEqual([1, 2]);

    // Each step trained on one rollout batch of 10 prompts (tables/completions/step-N.jsonl); weights 0.4 / 0.3
    // / 0.3 over the unshuffled mixture give 4 math, 3 code and 3 conversation prompts in every batch.
    const fixtures = fixturePrompts();
    const taskOf = (prompt: string) => Object.keys(fixtures).filter((task) => fixtures[task]!.some((text) => prompt.includes(text)));
    for (const step of [1, 2]) {
      const rows = jsonl(join(out, `tables/completions/step-${step}.jsonl`));
      const tasks = rows.map((row) => taskOf(row.prompt as string));
      expect(tasks.every((found) => found.length === 1)).toBe(true);
      const counts = Object.fromEntries(Object.keys(fixtures).map((task) => [task, tasks.filter(([found]) => found === task).length]));
      expect(counts).toEqual({ math: 4, code: 3, conversation: 3 });

      // The task_type shapes each prompt (the math task appends its answer-format instruction), and the math
      // reward applies only where the qa adapter found a reference answer.
      rows.forEach((row, i) => {
        const isMath = tasks[i]![0] === 'math';
        expect((row.prompt as string).includes('after "####"')).toBe(isMath);
        expect(row['rewards/math'] === null).toBe(!isMath);
      });
    }
  });
});
