import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { f32ToBf16, f32ToF16, hostValues, leftPad, loadModel, saveModelDir, type DecoderModel, type HostTensor } from '@aligntune/core';
import { cli } from '../helpers/run-cli.js';
import { exportOnnx as writeOnnx } from '../../core/src/models/graph/export-onnx.js';
import { tempDir } from '../helpers/temp-project.js';
import { ONNX_BFLOAT16, ONNX_FLOAT, ONNX_FLOAT16, onnxInitializers, type FileInitializer } from '../helpers/onnx-initializers.js';
import { backend, maxAbsDiff, randomTensors, tinyConfig } from '../models/graph-helpers.js';
import { tinyTokenizer } from '../models/helpers.js';
import { trainingKernel } from '../training/helpers.js';

/**
 * `aligntune export onnx --dtype`: float32 by default (optimum's default); float16 / bfloat16 write every weight
 * rounded to that dtype (the file holds exactly the rounded float32 values, cast back in the graph); auto follows the
 * checkpoint's torch_dtype. The narrow file's logits are those of the float32 export of the rounded weights.
 */
let dir: string;
let model: string;
let weights: DecoderModel;

beforeAll(async () => {
  dir = tempDir('aligntune-export-dtype-');
  model = join(dir, 'model');
  const config = tinyConfig('gpt2');
  await saveModelDir(model, config, { tensors: randomTensors(config, 31), tokenizer: tinyTokenizer() });
  weights = await loadModel(model, { kernel: trainingKernel() });
});

async function exportOnnx(from: string, name: string, ...dtype: string[]): Promise<{ file: Uint8Array; stdout: string }> {
  const out = join(dir, name);
  const run = await cli('export', 'onnx', '--model', from, '--out', out, ...dtype);
  expect(run.code, run.stderr).toBe(0);
  return { file: new Uint8Array(readFileSync(join(out, 'onnx/model.onnx'))), stdout: run.stdout };
}

/** The model's weights as the file holds them (a narrow weight is stored as `<name>.fp16` / `<name>.bf16`). */
function fileWeights(file: Uint8Array, suffix: string): Map<string, FileInitializer> {
  const all = onnxInitializers(file);
  return new Map([...weights.weights.keys()].map((name) => [name, all.get(name + suffix)!]));
}

const weightBytes = (file: Uint8Array, suffix: string) => [...fileWeights(file, suffix).values()].reduce((n, t) => n + t.raw.byteLength, 0);

const bitsOf = (raw: Uint8Array) => new Uint16Array(raw.slice().buffer);

/** Logits of the prompt [[3, 8], [5, 1, 4, 2]] (left-padded, no past) through an exported file. */
async function logits(file: Uint8Array): Promise<ArrayLike<number>> {
  const graph = await backend().compile(file, { label: 'export' });
  const rows = leftPad([[3, 8], [5, 1, 4, 2]], 0);
  const int64 = (values: number[][]): HostTensor => ({ dtype: 'int64', dims: [2, 4], data: BigInt64Array.from(values.flat(), BigInt) });
  const { numLayers, numKvHeads, headDim } = weights.config;
  const past: Record<string, HostTensor> = {};
  for (let i = 0; i < numLayers; i++) for (const kind of ['key', 'value']) past[`past_key_values.${i}.${kind}`] = { dtype: 'float32', dims: [2, numKvHeads, 0, headDim], data: new Float32Array(0) };
  const out = await graph.run({ input_ids: int64(rows.ids), attention_mask: int64(rows.mask), position_ids: int64(rows.positions), ...past }, ['logits']);
  await graph.dispose();
  return hostValues(out.logits!);
}

describe('aligntune export onnx --dtype', () => {
  it('default float32; float16 and bfloat16 store every weight rounded to nearest, and compute what the float32 export of the rounded weights computes', async () => {
    const fp32 = await exportOnnx(model, 'fp32');
    expect(fp32.stdout).toContain(`(${weights.config.numLayers} layers, float32 weights)`);
    for (const [name, t] of fileWeights(fp32.file, '')) expect(t?.dataType, name).toBe(ONNX_FLOAT);

    for (const [dtype, dataType, suffix, round, torchDtype] of [
      ['float16', ONNX_FLOAT16, '.fp16', f32ToF16, 'F16'],
      ['bfloat16', ONNX_BFLOAT16, '.bf16', f32ToBf16, 'BF16'],
    ] as const) {
      const narrow = await exportOnnx(model, dtype, '--dtype', dtype);
      expect(narrow.stdout).toContain(`(${weights.config.numLayers} layers, ${dtype} weights)`);
      expect(weightBytes(narrow.file, suffix)).toBe(weightBytes(fp32.file, '') / 2);
      for (const [name, t] of fileWeights(narrow.file, suffix)) {
        expect(t?.dataType, name).toBe(dataType);
        expect(t!.dims, name).toEqual([...weights.weights.get(name)!.dims]);
        expect(bitsOf(t!.raw), name).toEqual(round(weights.weights.get(name)!.data as Float32Array));
      }
      // the same model saved rounded (safetensors in that dtype), then exported in float32: the same logits
      const rounded = join(dir, `rounded-${dtype}`);
      await weights.save(rounded, { dtype: torchDtype });
      const reference = await exportOnnx(rounded, `rounded-${dtype}-fp32`);
      expect(maxAbsDiff(await logits(narrow.file), await logits(reference.file))).toBe(0);
      // auto: the checkpoint's torch_dtype
      const auto = await exportOnnx(rounded, `rounded-${dtype}-auto`, '--dtype', 'auto');
      expect(auto.stdout).toContain(`${dtype} weights`);
      for (const [name, t] of fileWeights(auto.file, suffix)) expect(bitsOf(t!.raw), name).toEqual(bitsOf(fileWeights(narrow.file, suffix).get(name)!.raw));
    }
  });

  it('narrow weights moved to model.onnx_data files load from the file path and give the inline file\'s logits', async () => {
    const inline = join(dir, 'bf16-inline');
    const external = join(dir, 'bf16-external');
    await writeOnnx(weights, inline, { dtype: 'BF16' });
    const { files } = await writeOnnx(weights, external, { dtype: 'BF16', inlineLimit: 0, chunkLimit: 16 * 1024 });
    expect(files.filter((f) => f.startsWith('onnx/model.onnx_data')).length).toBeGreaterThan(1);
    for (const [name, t] of fileWeights(new Uint8Array(readFileSync(join(external, 'onnx/model.onnx'))), '.bf16')) expect(t?.dataType, name).toBe(ONNX_BFLOAT16);
    const fromPath = async (exported: string) => {
      // as transformers.js in Node and Optimum load it: the external data resolves next to the file
      const session = await ort.InferenceSession.create(join(exported, 'onnx/model.onnx'));
      const { numLayers, numKvHeads, headDim } = weights.config;
      const feeds: Record<string, ort.Tensor> = { input_ids: new ort.Tensor('int64', [3n, 8n, 5n], [1, 3]), attention_mask: new ort.Tensor('int64', [1n, 1n, 1n], [1, 3]), position_ids: new ort.Tensor('int64', [0n, 1n, 2n], [1, 3]) };
      for (let i = 0; i < numLayers; i++) for (const kind of ['key', 'value']) feeds[`past_key_values.${i}.${kind}`] = new ort.Tensor('float32', new Float32Array(0), [1, numKvHeads, 0, headDim]);
      const out = await session.run(feeds);
      await session.release();
      return Array.from(out.logits!.data as Float32Array);
    };
    expect(await fromPath(external)).toEqual(await fromPath(inline));
  });

  it('an unknown --dtype exits 2 naming the option', async () => {
    const run = await cli('export', 'onnx', '--model', model, '--out', join(dir, 'bad'), '--dtype', 'int8');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("option '--dtype <dtype>' argument 'int8' is invalid");
  });
});
