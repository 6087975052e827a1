import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, removeDir, tempDir } from '../helpers/temp-project.js';

const jsonl = (file: string) =>
  readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);

/**
 * `npm run demo`'s script with --quick (30 SFT steps, 3 GRPO steps: too few to learn, so learning is not asserted;
 * the full run's numbers are in the README), run as the npm script runs it: a child process on the built CLI, here in
 * a scratch working directory. About 20 s on 2 idle cores.
 */
describe('examples/demo: npm run demo', () => {
  let dir: string;
  let stdout: string;

  beforeAll(() => {
    dir = tempDir('aligntune-demo-');
    stdout = execFileSync(process.execPath, [join(REPO_ROOT, 'examples/demo/run-demo.mjs'), '--quick'], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  }, 120_000);

  afterAll(() => removeDir(dir));

  it('runs SFT then GRPO through the CLI and prints the held-out accuracy of each stage', () => {
    for (const stage of ['random init', 'after SFT', 'after GRPO']) expect(stdout).toMatch(new RegExp(`^  ${stage} +\\d+%`, 'm'));
    expect(stdout).toContain('final model: demo-output/grpo/final');
    expect(jsonl(join(dir, 'demo-output/grpo/metrics.jsonl')).at(-1)!.step).toBe(3);
    expect(readFileSync(join(dir, 'demo-output/grpo/config.resolved.yaml'), 'utf8')).toContain('demo-output/sft/final');
  });

  it('writes both models and both HTML reports', () => {
    for (const file of ['sft/final/model.safetensors', 'grpo/final/model.safetensors', 'sft/report.html', 'grpo/report.html']) {
      expect(existsSync(join(dir, 'demo-output', file)), file).toBe(true);
    }
    expect(stdout).toContain('demo-output/grpo/report.html');
  });

  it('holds the test sums out of both training sets', () => {
    const data = join(dir, 'demo-output/data');
    const test = jsonl(join(data, 'arithmetic/test.jsonl'));
    const grpo = jsonl(join(data, 'arithmetic/train.jsonl'));
    const sft = jsonl(join(data, 'sft.jsonl'));
    expect([test.length, grpo.length, sft.length]).toEqual([20, 80, 160]);
    const held = new Set(test.map((row) => row.prompt));
    expect([...grpo, ...sft].filter((row) => held.has(row.prompt))).toEqual([]);
    expect(sft.filter((row) => row.completion === 'idk')).toHaveLength(80);
    for (const row of [...test, ...grpo]) {
      const [a, b] = String(row.prompt).slice(0, -1).split('+').map(Number);
      expect(row.answer).toBe(String(a! + b!));
    }
  });
});
