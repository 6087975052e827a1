import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { emitModel } from '../../engine/onnx/emit-model.js';
import { encodeModel, externalizeInitializers } from '../../engine/onnx/onnx-encoder.js';
import { copyTokenizerFiles } from '../model-dir.js';
import { CONFIG_NAME } from '../hf-model-config.js';
import { GENERATION_CONFIG_NAME, generationConfigFromModel } from '../generation-config.js';
import type { DecoderModel } from '../roles/decoder-model.js';
import { buildExportGraph } from './generation-graphs.js';

export const ONNX_MODEL_NAME = 'model.onnx';
/** protobuf refuses a ModelProto ≥ 2 GiB; weights beyond this go to external data files. */
const INLINE_LIMIT = 1.5 * 2 ** 30;

export interface ExportOnnxResult {
  readonly files: string[];
  readonly bytes: number;
}

/**
 * Writes `model.onnx` (the KV-cache inference graph of buildExportGraph, weights as initializers), config.json,
 * generation_config.json and the source's tokenizer files — the directory layout Optimum's ORTModelForCausalLM reads.
 */
export async function exportOnnx(model: DecoderModel, outDir: string): Promise<ExportOnnxResult> {
  await mkdir(outDir, { recursive: true });
  const spec = buildExportGraph(model, 'initializer');
  let onnx = emitModel(spec.graph, { outputs: spec.outputs, contribOps: false, name: `${model.config.modelType}-with-past` });
  const weightBytes = [...model.weights.values()].reduce((s, t) => s + t.data.byteLength, 0);
  const files = [ONNX_MODEL_NAME];
  if (weightBytes > INLINE_LIMIT) {
    const ext = externalizeInitializers(onnx);
    onnx = ext.model;
    for (const { path, data } of ext.externalData) {
      await writeFile(join(outDir, path), data);
      files.push(path);
    }
  }
  const bytes = encodeModel(onnx);
  await writeFile(join(outDir, ONNX_MODEL_NAME), bytes);
  await writeFile(join(outDir, CONFIG_NAME), `${JSON.stringify({ ...model.config.raw, use_cache: true }, null, 2)}\n`);
  const generation = model.generationConfig?.raw ?? generationConfigFromModel(model.config);
  await writeFile(join(outDir, GENERATION_CONFIG_NAME), `${JSON.stringify(generation, null, 2)}\n`);
  files.push(CONFIG_NAME, GENERATION_CONFIG_NAME);
  if (model.source && existsSync(join(model.source, 'tokenizer.json'))) files.push(...(await copyTokenizerFiles(model.source, outDir)));
  return { files, bytes: bytes.byteLength + weightBytes * Number(weightBytes > INLINE_LIMIT) };
}
