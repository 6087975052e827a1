import { copyFileSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../helpers/run-cli.js';
import { runProcess, type ProcessRun } from '../helpers/run-process.js';
import { REPO_ROOT, removeDir, tempDir } from '../helpers/temp-project.js';
import { readmeLibraryExample } from '../helpers/readme.js';
import { tinyTokenizer } from '../models/helpers.js';

const RUN_TIMEOUT = 120_000;

/** An application directory: a package.json with these dependencies, the README example as its script. */
function makeApp(dependencies: Record<string, string>): string {
  const app = tempDir('aligntune-readme-app-');
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module', dependencies }));
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(app, 'node_modules'), 'dir');
  writeFileSync(join(app, 'readme-dpo.mjs'), readmeLibraryExample());
  return app;
}

function runNode(script: string, cwd: string): Promise<ProcessRun> {
  return runProcess(process.execPath, [script], { cwd });
}

describe("README's library example, run from a directory other than the application's", () => {
  let workDir: string;
  const apps: string[] = [];

  beforeAll(async () => {
    // The working directory holds what the example's relative paths name (a tiny model, the data), not a package.json.
    workDir = tempDir('aligntune-readme-cwd-');
    const tokenizer = join(workDir, 'tokenizer');
    await tinyTokenizer().save(tokenizer);
    const init = await cli('model', 'init', '--arch', 'gpt2', '--preset', 'tiny', '--tokenizer', tokenizer, '--out', join(workDir, 'output/models/tiny-gpt2'));
    expect(init.code, init.stderr).toBe(0);
    mkdirSync(join(workDir, 'examples/data'), { recursive: true });
    copyFileSync(join(REPO_ROOT, 'examples/data/preferences.jsonl'), join(workDir, 'examples/data/preferences.jsonl'));
  });

  afterAll(() => {
    for (const dir of [workDir, ...apps]) removeDir(dir);
  });

  it('finds the plugins of the application whose script runs (its package.json), not of the working directory', { timeout: RUN_TIMEOUT }, async () => {
    const { dependencies } = JSON.parse(readFileSync(join(REPO_ROOT, 'examples/library/package.json'), 'utf8')) as { dependencies: Record<string, string> };
    const app = makeApp(dependencies);
    apps.push(app);
    const run = await runNode(join(app, 'readme-dpo.mjs'), workDir);
    expect(run.code, run.stderr).toBe(0);
    const [steps, loss] = run.stdout.trim().split('\n').at(-1)!.split(' ');
    expect(steps).toBe('10');
    expect(Number.isFinite(Number(loss))).toBe(true);
  });

  it('says where it looked when the application provides no such plugin', { timeout: RUN_TIMEOUT }, async () => {
    const app = makeApp({});
    apps.push(app);
    const run = await runNode(join(app, 'readme-dpo.mjs'), workDir);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain(
      `no installed plugin provides algorithm "dpo"; available: none; plugins were looked for in the dependencies of ${join(app, 'package.json')} (the application of the entry script ${join(app, 'readme-dpo.mjs')})`,
    );
    expect(run.stderr).toContain("TrainerFactory's projectDir option");
  });
});
