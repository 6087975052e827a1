import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { DType } from '../../engine/graph-executor.js';
import { emitModel } from '../../engine/onnx/emit-model.js';
import { encodeModel, externalizeInitializers } from '../../engine/onnx/onnx-encoder.js';
import { OnnxDataType, type OnnxModel, type OnnxNode, type OnnxTensor } from '../../engine/onnx/onnx-model.js';
import { writeDataAtomic, writeFileAtomic, writeJsonAtomic } from '../../util/atomic-write.js';
import { copyTokenizerFiles } from '../model-dir.js';
import { CONFIG_NAME } from '../hf-model-config.js';
import { GENERATION_CONFIG_NAME, generationConfigFromModel } from '../generation-config.js';
import { f32ToBf16, f32ToF16 } from '../half-float.js';
import type { DecoderModel } from '../roles/decoder-model.js';
import type { StorageDtype } from '../save-dtype.js';
import { buildExportGraph } from './generation-graphs.js';

/** Where transformers.js (`subfolder: 'onnx'`, file `model`) and Optimum (the one `**\/*.onnx`) find the graph. */
export const ONNX_SUBFOLDER = 'onnx';
export const ONNX_MODEL_NAME = 'model.onnx';
/** protobuf refuses a ModelProto ≥ 2 GiB; beyond this the weights go to external data files. */
const INLINE_LIMIT = 1.5 * 2 ** 30;
/** Each external data file is fetched whole into one ArrayBuffer by transformers.js in the browser. */
const CHUNK_LIMIT = 1.5 * 2 ** 30;
/** onnx's own size threshold for external data: smaller constants (shapes, split sizes) stay inline for shape inference. */
const EXTERNAL_MIN_BYTES = 1024;
/** Tensor offsets in external data are page-aligned so onnxruntime can memory-map them. */
const ALIGNMENT = 4096;

/** transformers.js's dtype names (the suffix-free file `model.onnx` is what it loads for these). */
const TRANSFORMERS_JS_DTYPE: Partial<Record<DType, string>> = { float32: 'fp32', float16: 'fp16' };

export interface ExportOnnxOptions {
  /**
   * The dtype the weights are written in (default F32, as optimum exports). F16 / BF16: each weight is stored rounded
   * to it (to nearest, ties to even, as the safetensors save) and cast to float32 in the graph, so the file is half
   * the size while the inputs, logits and KV cache stay float32.
   */
  dtype?: StorageDtype;
  /** Weights above this many bytes go to external data (default 1.5 GiB); small values are for tests. */
  inlineLimit?: number;
  chunkLimit?: number;
}

export interface ExportOnnxResult {
  /** Paths relative to the output directory. */
  readonly files: string[];
  readonly bytes: number;
}

interface ExternalChunk {
  readonly path: string;
  readonly parts: Array<{ offset: number; data: Uint8Array }>;
  size: number;
}

/**
 * Writes the layout of a Hub ONNX repository (onnx-community/*), which transformers.js and Optimum load as it is:
 * config.json (with a `transformers.js_config` naming the dtype that exists), generation_config.json and the
 * tokenizer files at the top; `onnx/model.onnx`, the KV-cache inference graph of buildExportGraph, with its
 * weights inline or in `onnx/model.onnx_data`, `model.onnx_data_1`, ... (the names transformers.js asks for).
 */
export async function exportOnnx(model: DecoderModel, outDir: string, options: ExportOnnxOptions = {}): Promise<ExportOnnxResult> {
  await mkdir(join(outDir, ONNX_SUBFOLDER), { recursive: true });
  const spec = buildExportGraph(model, 'initializer');
  const float32 = emitModel(spec.graph, { outputs: spec.outputs, contribOps: false, name: `${model.config.modelType}-with-past` });
  const emitted = options.dtype && options.dtype !== 'F32' ? withNarrowWeights(float32, new Set(weightNames(model)), options.dtype) : float32;
  const weightBytes = (emitted.graph.initializer ?? []).reduce((s, t) => s + (t.rawData?.byteLength ?? 0), 0);
  const { onnx, chunks } = weightBytes > (options.inlineLimit ?? INLINE_LIMIT)
    ? packExternalData(emitted, options.chunkLimit ?? CHUNK_LIMIT)
    : { onnx: emitted, chunks: [] };
  const files: string[] = [];
  const bytes = encodeModel(onnx);
  await writeDataAtomic(join(outDir, ONNX_SUBFOLDER, ONNX_MODEL_NAME), bytes);
  files.push(`${ONNX_SUBFOLDER}/${ONNX_MODEL_NAME}`);
  for (const chunk of chunks) {
    await writeFileAtomic(join(outDir, ONNX_SUBFOLDER, chunk.path), async (handle) => {
      for (const { offset, data } of chunk.parts) await handle.write(data, 0, data.byteLength, offset);
    });
    files.push(`${ONNX_SUBFOLDER}/${chunk.path}`);
  }
  await writeJsonAtomic(join(outDir, CONFIG_NAME), { ...model.config.raw, use_cache: true, 'transformers.js_config': transformersJsConfig(model.dtype, chunks.length) });
  await writeJsonAtomic(join(outDir, GENERATION_CONFIG_NAME), model.generationConfig?.raw ?? generationConfigFromModel(model.config));
  files.push(CONFIG_NAME, GENERATION_CONFIG_NAME);
  if (model.source && existsSync(join(model.source, 'tokenizer.json'))) files.push(...(await copyTokenizerFiles(model.source, outDir)));
  return { files, bytes: bytes.byteLength + chunks.reduce((s, c) => s + c.size, 0) };
}

/**
 * Without a `dtype`, transformers.js in the browser (wasm) asks for `model_quantized.onnx`, which an export does not
 * write; naming the dtype makes every device load `model.onnx`. `use_external_data_format` is the number of
 * `model.onnx_data*` files it must fetch alongside.
 */
function transformersJsConfig(dtype: DType, externalFiles: number): Record<string, unknown> {
  return { dtype: TRANSFORMERS_JS_DTYPE[dtype] ?? 'fp32', use_external_data_format: externalFiles === 0 ? false : externalFiles };
}

function weightNames(model: DecoderModel): string[] {
  return [...model.weights.keys(), ...model.stored.keys()];
}

const NARROW: Readonly<Record<'F16' | 'BF16', { dataType: OnnxDataType; suffix: string; round: (values: Float32Array) => Uint16Array }>> = {
  F16: { dataType: OnnxDataType.FLOAT16, suffix: 'fp16', round: f32ToF16 },
  BF16: { dataType: OnnxDataType.BFLOAT16, suffix: 'bf16', round: f32ToBf16 },
};

/**
 * The float32 initializers named in `weights` stored in `dtype` under `<name>.<fp16|bf16>`, each followed by a Cast
 * back to float32 under its own name, so every op reads the rounded values unchanged (onnxruntime folds the Casts
 * when it loads the model); the graph's other constants (shapes, rotary tables) stay as they are.
 */
function withNarrowWeights(model: OnnxModel, weights: ReadonlySet<string>, dtype: 'F16' | 'BF16'): OnnxModel {
  const { dataType, suffix, round } = NARROW[dtype];
  const casts: OnnxNode[] = [];
  const initializer = (model.graph.initializer ?? []).map((tensor): OnnxTensor => {
    if (!weights.has(tensor.name) || tensor.dataType !== OnnxDataType.FLOAT || !tensor.rawData) return tensor;
    const narrowName = `${tensor.name}.${suffix}`;
    casts.push({ opType: 'Cast', name: `${narrowName}.cast`, input: [narrowName], output: [tensor.name], attribute: [{ name: 'to', value: { type: 'int', value: OnnxDataType.FLOAT } }] });
    const values = new Float32Array(tensor.rawData.slice().buffer);
    const bits = round(values);
    return { name: narrowName, dataType, dims: tensor.dims, rawData: new Uint8Array(bits.buffer, bits.byteOffset, bits.byteLength) };
  });
  return { ...model, graph: { ...model.graph, initializer, node: [...casts, ...model.graph.node] } };
}

/** Moves every initializer of 1 KiB or more into `model.onnx_data` files of at most `chunkLimit` bytes (a larger tensor gets a file of its own). */
function packExternalData(model: OnnxModel, chunkLimit: number): { onnx: OnnxModel; chunks: ExternalChunk[] } {
  const { model: external, externalData } = externalizeInitializers(model, EXTERNAL_MIN_BYTES);
  const chunks: ExternalChunk[] = [];
  const placed = new Map<string, { path: string; offset: number }>();
  for (const { path, data } of externalData) {
    let chunk = chunks.at(-1);
    const offset = chunk ? alignUp(chunk.size) : 0;
    if (!chunk || (chunk.parts.length > 0 && offset + data.byteLength > chunkLimit)) {
      chunk = { path: `${ONNX_MODEL_NAME}_data${chunks.length === 0 ? '' : `_${chunks.length}`}`, parts: [], size: 0 };
      chunks.push(chunk);
    }
    const at = chunk.parts.length === 0 ? 0 : offset;
    chunk.parts.push({ offset: at, data });
    chunk.size = at + data.byteLength;
    placed.set(path, { path: chunk.path, offset: at });
  }
  const initializer = (external.graph.initializer ?? []).map((tensor) => {
    const where = tensor.externalData && placed.get(tensor.externalData.location);
    return where ? { ...tensor, externalData: { ...tensor.externalData!, location: where.path, offset: where.offset } } : tensor;
  });
  return { onnx: { ...external, graph: { ...external.graph, initializer } }, chunks };
}

function alignUp(n: number): number {
  return Math.ceil(n / ALIGNMENT) * ALIGNMENT;
}
