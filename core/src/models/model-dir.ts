import { mkdir, readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { writeDataAtomic, writeJsonAtomic } from '../util/atomic-write.js';
import { canonicalTensor, fromCanonicalWeights, toCanonicalWeights, type CanonicalFloatTensor, type CanonicalWeights } from './canonical-weights.js';
import { CheckpointReader, readCheckpoint, writeCheckpoint, type WriteCheckpointOptions } from './checkpoint.js';
import { GENERATION_CONFIG_NAME, generationConfigFromModel, readGenerationConfig, type HfGenerationConfig } from './generation-config.js';
import { CONFIG_NAME, readModelConfig, type HfModelConfig, type ParseConfigOptions } from './hf-model-config.js';
import type { ModelTypeTable } from './model-type.js';
import type { StoredTensor } from './safetensors-dtype.js';
import { torchDtypeName, type StorageDtype } from './save-dtype.js';
import type { TensorMap } from './safetensors.js';
import { detectTensorPrefix, tensorSpecs } from './tensor-layout.js';
import { Tokenizer } from './tokenizer.js';

/** A Hugging Face model directory as loaded: configs, checkpoint tensors and their canonical view. */
export interface LoadedModelDir {
  readonly dir: string;
  readonly config: HfModelConfig;
  readonly generationConfig: HfGenerationConfig | null;
  /** Checkpoint tensors under their file names (F16/BF16 converted to F32; `storedDtype` says what was on disk). */
  readonly tensors: Map<string, StoredTensor>;
  /** The same weights in the canonical layout (F32 data shared with `tensors` where no transpose is needed). */
  readonly weights: CanonicalWeights;
  /** Base-model prefix of the checkpoint's names (GPT-2: 'transformer.' or ''), reused when saving. */
  readonly prefix: string;
  readonly unused: readonly string[];
}

export interface LoadModelDirOptions extends ParseConfigOptions {
  /** The model types that can be read (`modelTypesOf(kernel)`, or a plugin's table). */
  readonly modelTypes: ModelTypeTable;
}

/** Reads config.json, generation_config.json (optional) and the safetensors checkpoint of `dir`. */
export async function loadModelDir(dir: string, options: LoadModelDirOptions): Promise<LoadedModelDir> {
  const config = await readModelConfig(dir, options.modelTypes, options);
  const generationConfig = await readGenerationConfig(dir);
  const { tensors } = await readCheckpoint(dir);
  const { weights, prefix, unused } = toCanonicalWeights(config, tensors, dir);
  return { dir, config, generationConfig, tensors, weights, prefix, unused };
}

/** A model directory's configs, its checkpoint's tensors handed over one at a time (see `readModelDirTensors`). */
export type ModelDirHeader = Omit<LoadedModelDir, 'tensors' | 'weights' | 'unused'>;

/**
 * Reads `dir` as loadModelDir does, but hands each tensor the config needs to `take` (canonical name, tensor in
 * the canonical layout, F16 / BF16 kept as the bits on disk) before the next is read: with `take` converting
 * (quantizing, narrowing) and keeping only the result, the float32 checkpoint is never whole in memory.
 * `take` gets the config first (`prepare`), to decide how to keep what follows.
 */
export async function readModelDirTensors(
  dir: string,
  options: LoadModelDirOptions,
  prepare: (config: HfModelConfig) => (name: string, tensor: CanonicalFloatTensor) => void,
): Promise<ModelDirHeader> {
  const config = await readModelConfig(dir, options.modelTypes, options);
  const generationConfig = await readGenerationConfig(dir);
  const take = prepare(config);
  const reader = await CheckpointReader.open(dir);
  try {
    const prefix = detectTensorPrefix(config, reader.names, dir);
    for (const s of tensorSpecs(config, prefix)) {
      const t = reader.has(s.hfName) ? await reader.read(s.hfName, { keepRaw: true }) : undefined;
      take(s.canonicalName, canonicalTensor(s, t, config, dir));
    }
    return { dir, config, generationConfig, prefix };
  } finally {
    await reader.close();
  }
}

/** Files of a tokenizer directory that a model save carries over when copying from a source directory. */
export const TOKENIZER_FILES = [
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'chat_template.jinja',
  'vocab.json',
  'merges.txt',
  'tokenizer.model',
  'added_tokens.json',
] as const;

export interface SaveModelDirOptions extends WriteCheckpointOptions {
  /** Weights in the canonical layout; written under HF names with `prefix`. */
  readonly weights?: ReadonlyMap<string, { readonly shape: readonly number[]; readonly data: Float32Array }>;
  /** Or tensors already under HF names (e.g. LoadedModelDir.tensors), written as they are. */
  readonly tensors?: TensorMap;
  /** Base-model prefix for canonical weights (default: what transformers writes; pass LoadedModelDir.prefix to keep a checkpoint's names). */
  readonly prefix?: string;
  /** Storage dtype for canonical weights (default F32). */
  readonly dtype?: StorageDtype;
  /** generation_config.json content; default: derived from the model config's token ids. null writes none. */
  readonly generationConfig?: HfGenerationConfig | Readonly<Record<string, unknown>> | null;
  /** A tokenizer to write, or a directory whose tokenizer files are copied. */
  readonly tokenizer?: Tokenizer | string;
}

/**
 * Writes a model directory that transformers can load: config.json, model.safetensors (or shards and
 * an index), generation_config.json and tokenizer files. Every file is written atomically.
 */
export async function saveModelDir(dir: string, config: HfModelConfig, options: SaveModelDirOptions): Promise<void> {
  if ((options.weights === undefined) === (options.tensors === undefined)) throw new Error('saveModelDir: pass exactly one of weights or tensors');
  await mkdir(dir, { recursive: true });
  const tensors = options.tensors ?? fromCanonicalWeights(config, options.weights!, { prefix: options.prefix, dtype: options.dtype });
  await writeCheckpoint(dir, tensors, options);
  await writeJsonAtomic(join(dir, CONFIG_NAME), withRecordedDtype(config.raw, options.dtype ?? 'F32'));
  if (options.generationConfig !== null) await writeJsonAtomic(join(dir, GENERATION_CONFIG_NAME), generationJson(config, options.generationConfig));
  if (options.tokenizer instanceof Tokenizer) await options.tokenizer.save(dir);
  else if (typeof options.tokenizer === 'string') await copyTokenizerFiles(options.tokenizer, dir);
}

/** config.json recording `dtype` as torch_dtype, and as transformers v5's `dtype` where the source had that key, so neither goes stale. */
function withRecordedDtype(raw: Readonly<Record<string, unknown>>, dtype: StorageDtype): Record<string, unknown> {
  const name = torchDtypeName(dtype);
  return { ...raw, torch_dtype: name, ...('dtype' in raw ? { dtype: name } : {}) };
}

function generationJson(config: HfModelConfig, value: HfGenerationConfig | Readonly<Record<string, unknown>> | undefined): unknown {
  if (value === undefined) return generationConfigFromModel(config);
  return 'raw' in value && typeof value.raw === 'object' ? value.raw : value;
}

/** Copies the tokenizer files present in `from` to `to`; throws if there is no tokenizer.json. */
export async function copyTokenizerFiles(from: string, to: string): Promise<string[]> {
  if (!existsSync(join(from, 'tokenizer.json'))) throw new Error(`${from}: no tokenizer.json to copy`);
  await mkdir(to, { recursive: true });
  const copied: string[] = [];
  for (const f of TOKENIZER_FILES) {
    if (!existsSync(join(from, f))) continue;
    await writeDataAtomic(join(to, f), await readFile(join(from, f)));
    copied.push(f);
  }
  return copied;
}
