import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../helpers/run-cli.js';
import { buildExamplePackage, makeProject, packPackage, removeDir, tempDir } from '../helpers/temp-project.js';


/**
 * Builds the example as its author would (its src/ through the TypeScript compiler with the repo's
 * decorator settings, into dist/), in a scratch copy so the repository is never written to.
 */
/** `aligntune [--project DIR] reward score ...` through the real CLI. */
const rewardCli = (...argv: string[]) => cli(...argv);

describe('a custom reward published as an npm package', () => {
  let scratch: string;
  let project: string;
  let input: string;

  beforeAll(() => {
    scratch = tempDir('aligntune-custom-reward-');
    const tarball = packPackage(buildExamplePackage('custom-reward', scratch), scratch);
    project = makeProject([tarball]);
    input = join(project, 'rows.jsonl');
    const rows = [
      { prompt: 'Where is my money?', completion: 'Sorry! A refund is on its way.', topic: 'billing' },
      { prompt: [{ role: 'user', content: 'Hi' }], completion: 'Thanks for writing.', topic: 'greeting' },
      { prompt: 'x', completion: 'SORRY about that', extra: { topic: 'skip' } },
    ];
    writeFileSync(input, `${rows.map((row) => JSON.stringify(row)).join('\n')}\n`);
  }, 120_000);

  afterAll(() => {
    removeDir(project);
    removeDir(scratch);
  });

  it('is installed by npm and scored through `aligntune reward score`', async () => {
    const run = await rewardCli(
      '--project', project,
      'reward', 'score',
      '--reward', 'keyword:weight=2:keywords=[refund,sorry]:per_keyword=0.5',
      '--reward', 'keyword:keywords=[thanks]',
      '--input', input,
    );
    expect(run).toMatchObject({ code: 0 });
    const lines = run.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    // keyword: min(1, hits · per_keyword), case-insensitive; total = 2 · first + 1 · second; topic "skip" → null
    expect(lines).toEqual([
      { rewards: { keyword: 1, keyword_2: 0 }, total: 2 * 1 + 0, shielded: false },
      { rewards: { keyword: 0, keyword_2: 0.25 }, total: 2 * 0 + 0.25, shielded: false },
      { rewards: { keyword: null, keyword_2: null }, total: null, shielded: false },
    ]);
  });

  it("validates the plugin's params before scoring, naming the field (exit code 2)", async () => {
    const run = await rewardCli('--project', project, 'reward', 'score', '--reward', 'keyword:keywords=[a]:per_keyword=2', '--input', input);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('rewards.0.per_keyword: must be between 0 and 1 (got 2)');
    expect(run.stdout).toBe('');
  });

  it('reports an unknown reward id with the installed ones, and bad input lines with their line number', async () => {
    const unknown = await rewardCli('--project', project, 'reward', 'score', '--reward', 'keywrod', '--input', input);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/no installed plugin provides reward "keywrod".*did you mean "keyword"/);
    const bad = join(project, 'bad.jsonl');
    writeFileSync(bad, '{"completion": "ok"}\n{"prompt": "p"}\n');
    const badRun = await rewardCli('--project', project, 'reward', 'score', '--reward', 'keyword:keywords=[a]', '--input', bad);
    expect(badRun.code).toBe(2);
    expect(badRun.stderr).toContain(`${bad}:2: "completion" must be a string`);
  });
});
