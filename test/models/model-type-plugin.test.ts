import 'reflect-metadata';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { declareTokenInputs, Graph, hostValues, Kernel, loadModel, readCheckpoint } from '@aligntune/core';
import type { LlamaConfig } from '@aligntune/plugin-arch-llama';
import { cli } from '../helpers/run-cli.js';
import { FIXTURE_PLUGINS } from '../helpers/temp-project.js';
import { tempDir, tinyTokenizer } from './helpers.js';
import { maxAbsDiff, paddedRows, runGraph, tokenFeeds } from './graph-helpers.js';
import { referenceForward, refWeights } from './reference/reference-forward.js';

/** A plugin package that adds the model_type `fixture-llama` (a Llama reading one extra field, `norm_eps`). */
const PLUGIN = join(FIXTURE_PLUGINS, 'arch-fixture-llama');

describe('an architecture plugin adds a model type without a core change', () => {
  it('model init --arch fixture-llama writes it; loadModel reads its own field; its logits equal the float64 reference', { timeout: 60_000 }, async () => {
    const tokDir = tempDir();
    await tinyTokenizer().save(tokDir);
    const out = join(tempDir(), 'model');
    const init = await cli('--project', PLUGIN, 'model', 'init', '--arch', 'fixture-llama', '--out', out, '--tokenizer', tokDir, '--seed', '5');
    expect(init.code, init.stderr).toBe(0);
    expect(init.stdout).toMatch(/wrote fixture-llama\/tiny/);
    expect(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'))).toMatchObject({ model_type: 'fixture-llama', norm_eps: 0.25 });

    const kernel = new Kernel();
    await kernel.discover({ projectDir: PLUGIN });
    const model = await loadModel(out, { kernel });
    expect(model.config.modelType).toBe('fixture-llama');
    expect((model.config as LlamaConfig).rmsNormEps).toBe(0.25);

    const g = new Graph('fixture-llama');
    const { hidden, weights } = model.forward(g, declareTokenInputs(g), 'input');
    const rows = paddedRows(model.config.vocabSize);
    const got = hostValues((await runGraph(g, { logits: model.lmLogits(g, weights, hidden) }, { ...tokenFeeds(rows), ...weights.feeds() })).logits!);
    const tensors = refWeights((await readCheckpoint(out)).tensors);
    const logitsOf = (config: LlamaConfig) => referenceForward(config, tensors, { inputIds: [rows.ids[0]!] }).logits[0]!.flatMap((row) => [...row]);
    const want = logitsOf(model.config as LlamaConfig);
    expect(maxAbsDiff(got.slice(0, want.length), want)).toBeLessThan(1e-6); // logits are ~0.02: random init, std 0.02
    // The extra field acts: with Llama's default epsilon the logits differ.
    expect(maxAbsDiff(want, logitsOf({ ...(model.config as LlamaConfig), rmsNormEps: 1e-6 }))).toBeGreaterThan(1e-3);
  });

  it('errors list the model types of the installed plugins', async () => {
    const bad = await cli('--project', PLUGIN, 'model', 'init', '--arch', 'bert', '--out', tempDir());
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--arch bert: expected one of fixture-llama, llama, qwen2, qwen3/);

    const kernel = new Kernel();
    await kernel.discover({ projectDir: PLUGIN });
    const dir = tempDir();
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ model_type: 'bert' }));
    await expect(loadModel(dir, { kernel })).rejects.toThrow(/model_type "bert" has no architecture plugin \(supported: fixture-llama, llama, mistral, qwen2, qwen3\)/);
  });
});
