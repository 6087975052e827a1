import 'reflect-metadata';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initModelDir, Tokenizer } from '@aligntune/core';
import { buildTinyChatTokenizerFiles } from '@aligntune/core/testing';
import { LLAMA_MODEL_TYPES } from '@aligntune/plugin-arch-llama';
import { ScoredAnswersAdapter } from 'aligntune-plugin-example-scored-answers';
import { cli } from '../helpers/run-cli.js';
import { buildExamplePackage, makeProject, packPackage, REPO_ROOT, removeDir, tempDir } from '../helpers/temp-project.js';

const EXAMPLE = join(REPO_ROOT, 'examples/custom-adapter');
const FIXTURE = join(EXAMPLE, 'data/scored-answers.jsonl');
/** What a DPO run needs besides the adapter; adapters-builtin too, so detection has to pick among adapters. */
const BUILTINS = ['loader-local', 'adapters-builtin', 'arch-llama', 'backend-onnxruntime', 'distributed-single', 'algo-dpo'];

/**
 * Builds the example as its author would (src/ through the TypeScript compiler with the repo's decorator
 * settings, into dist/), in a scratch copy so the repository is never written to.
 */
describe('ScoredAnswersAdapter', () => {
  const adapter = new ScoredAnswersAdapter();
  const answers = [
    { text: 'Fine.', score: 5 },
    { text: 'A careful, kind answer.', score: 9 },
    { text: 'Go away.', score: 1 },
  ];

  it('reads the best and the worst answer as a preference pair, passing the other columns through', () => {
    expect(adapter.adapt({ id: 'q1', question: 'How are you?', answers })).toEqual({
      record: {
        prompt: [{ role: 'user', content: 'How are you?' }],
        chosen: 'A careful, kind answer.',
        rejected: 'Go away.',
        extra: { id: 'q1', score_chosen: 9, score_rejected: 1 },
      },
    });
  });

  it('skips rows that state no preference, saying why', () => {
    const skip = (answers: unknown) => adapter.adapt({ question: 'q', answers }).skip;
    expect(skip([{ text: 'Only one.', score: 3 }])).toBe('column "answers" holds 1 answer(s); a preference needs two');
    expect(skip([{ text: 'a', score: 2 }, { text: 'b', score: 2 }])).toBe('all 2 answers score 2: no preference');
    expect(skip([{ text: 'a', score: 2 }, { text: 'b', score: '3' }])).toBe('answers[1] is not {text: non-empty text, score: number}');
    expect(skip('a, b')).toBe('column "answers" is not a list of {text, score}');
    expect(adapter.adapt({ question: ' ', answers }).skip).toBe('column "question" is empty');
  });
});

describe('the custom adapter published as an npm package', () => {
  let scratch: string;
  let project: string;

  beforeAll(async () => {
    scratch = tempDir('aligntune-custom-adapter-');
    const tarball = packPackage(buildExamplePackage('custom-adapter', scratch), scratch);
    project = makeProject([tarball, ...BUILTINS.map((name) => join(REPO_ROOT, 'plugins', name))]);
    await initModelDir(join(project, 'model'), { modelTypes: LLAMA_MODEL_TYPES, arch: 'llama', size: 'tiny', tokenizer: new Tokenizer(buildTinyChatTokenizerFiles(), 'tiny-chat') });
  }, 120_000);

  afterAll(() => {
    removeDir(project);
    removeDir(scratch);
  });

  it('is listed by `aligntune plugins`', async () => {
    const run = await cli('--project', project, 'plugins');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('aligntune-plugin-example-scored-answers');
    expect(run.stdout).toMatch(/schema-adapter\s+scored-answers/);
  });

  it('is detected from the columns and feeds a DPO run through `aligntune train`', { timeout: 120_000 }, async () => {
    const config = join(project, 'dpo.yaml');
    const out = join(project, 'out');
    // no `adapter:` and no `plugins:`: the installed package is discovered, its adapter chosen by the columns
    writeFileSync(config, [
      'algo: dpo',
      `model: { name_or_path: ${join(project, 'model')} }`,
      `datasets: [{ name: ${FIXTURE} }]`,
      'train: { max_steps: 2, per_device_batch_size: 4, max_length: 128, max_prompt_length: 64, logging_steps: 1, save_interval: 0 }',
      `logging: { output_dir: ${out} }`,
      'caching: { enabled: false }',
    ].join('\n'));
    const run = await cli('--project', project, 'train', '--config', config);
    expect(run.code, run.stderr).toBe(0);
    const log = readFileSync(join(out, 'logs/run.log'), 'utf8');
    // 16 rows: a tie and a single answer are skipped, 14 preference pairs remain
    expect(log).toContain('2 of 16 rows of');
    expect(log).toContain('did not fit adapter \\"scored-answers\\"');
    expect(log).toContain('14 training rows');
    const steps = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, number>);
    expect(steps.map((row) => row.step)).toEqual([1, 2]);
    expect(steps[0]!.loss).toBeCloseTo(Math.log(2), 4); // policy = reference at the first step
  });
});
