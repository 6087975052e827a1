import { existsSync } from 'node:fs';
import type { HostTensor } from '../../engine/graph-executor.js';
import { defaultKernel } from '../../kernel/default-kernel.js';
import { UnknownContributionError, type Kernel } from '../../kernel/kernel.js';
import { architecturePoint, modelTypesOf, type ModelArchitecture } from '../architecture.js';
import { readConfigJson, withSequenceClassificationHead, type HfModelConfig } from '../hf-model-config.js';
import { loadModelDir, readModelDirTensors, type ModelDirHeader } from '../model-dir.js';
import type { ModelTypeTable } from '../model-type.js';
import { frozenForm, type FrozenWeights, type WeightStorage } from '../quant/frozen-weights.js';
import type { StoredWeight } from '../quant/stored-weight.js';
import { SeededRandom } from '../../util/seeded-random.js';
import { DecoderModel, hostWeights } from './decoder-model.js';

export interface LoadModelOptions {
  /** Where architecture plugins are looked up (default: the default kernel a script's registries use). */
  readonly kernel?: Kernel;
  /**
   * Turns a non-directory id (a Hub id such as `gpt2`) into a local directory. The models layer cannot
   * import the data layer's Hub client, so callers above it pass one; without it only local dirs load.
   */
  readonly resolveDir?: (id: string) => Promise<string>;
  /**
   * `score`: the model needs a `score` head of this many outputs (value and reward models). A checkpoint
   * without one (a causal LM) gets a fresh head, N(0, initializer_range) from `seed`, as transformers does.
   */
  readonly scoreHead?: { readonly numLabels: number; readonly seed?: number };
  /**
   * The model is frozen, in the storage this gives for its config (FrozenWeights.storageFor): each weight is read
   * and stored on its own, so the float32 checkpoint is never whole in memory, and a bf16 / fp16 checkpoint's
   * weights stay in their format when the storage is the same.
   */
  readonly frozenStorage?: (config: HfModelConfig) => WeightStorage;
}

/** The architecture plugin for a model_type, through the kernel; the error lists the types installed plugins support. */
export async function resolveArchitecture(modelType: string, kernel: Kernel = defaultKernel()): Promise<ModelArchitecture> {
  try {
    return await kernel.create(architecturePoint, modelType);
  } catch (err) {
    if (err instanceof UnknownContributionError) {
      const known = kernel.ids('architecture');
      throw new Error(`model_type "${modelType}" has no architecture plugin (supported: ${known.length ? known.join(', ') : 'none installed'}); install or enable @aligntune/plugin-arch-*`, { cause: err });
    }
    throw err;
  }
}

/** Loads a Hugging Face model directory (config.json + safetensors) and picks its architecture by model_type. */
export async function loadModel(dirOrId: string, options: LoadModelOptions = {}): Promise<DecoderModel> {
  const dir = await localDir(dirOrId, options);
  const kernel = options.kernel ?? defaultKernel();
  const modelType = (await readConfigJson(dir)).raw.model_type;
  // Resolved first, so an unknown model_type is named with the installed architectures; a missing or
  // non-string one is refused by loadModelDir's config parser, so `architecture` is set past it.
  const architecture = typeof modelType === 'string' ? await resolveArchitecture(modelType, kernel) : undefined;
  const modelTypes = await modelTypesOf(kernel, String(modelType));
  const { loaded, weights, stored } = options.frozenStorage ? await readFrozen(dir, modelTypes, options.frozenStorage) : await readPlain(dir, modelTypes);
  let config: HfModelConfig = loaded.config;
  if (options.scoreHead) config = ensureScoreHead(config, weights, options.scoreHead.numLabels, options.scoreHead.seed ?? 0);
  return new DecoderModel({ config, architecture: architecture!, weights, stored, prefix: loaded.prefix, source: dir, generationConfig: loaded.generationConfig });
}

/**
 * A frozen model with a directory of its own (a reference at model.ref_path, PPO's reward model): read tensor by
 * tensor into the storage `frozen` gives its config, as the LoRA base is, so its float32 checkpoint is never whole in
 * memory and a bf16 / fp16 checkpoint keeps its bits; then counted by `frozen.freeze` (which leaves stored weights as
 * they are).
 */
export async function loadFrozenModel(dirOrId: string, frozen: FrozenWeights, options: Omit<LoadModelOptions, 'frozenStorage'> = {}): Promise<DecoderModel> {
  return frozen.freeze(await loadModel(dirOrId, { ...options, frozenStorage: frozen.storageFor }));
}

interface ReadWeights {
  readonly loaded: ModelDirHeader;
  readonly weights: Map<string, HostTensor>;
  readonly stored?: Map<string, StoredWeight>;
}

async function readPlain(dir: string, modelTypes: ModelTypeTable): Promise<ReadWeights> {
  const loaded = await loadModelDir(dir, { modelTypes });
  return { loaded, weights: hostWeights(loaded.weights) };
}

/** Tensor by tensor, each in its frozen storage form as soon as it is read. */
async function readFrozen(dir: string, modelTypes: ModelTypeTable, storageOf: (config: HfModelConfig) => WeightStorage): Promise<ReadWeights> {
  const weights = new Map<string, HostTensor>();
  const stored = new Map<string, StoredWeight>();
  const loaded = await readModelDirTensors(dir, { modelTypes }, (config) => {
    const storage = storageOf(config);
    return (name, tensor) => {
      const form = frozenForm(name, tensor, storage);
      if ('parts' in form) stored.set(name, form);
      else weights.set(name, form);
    };
  });
  return { loaded, weights, stored };
}

async function localDir(dirOrId: string, options: LoadModelOptions): Promise<string> {
  if (existsSync(dirOrId)) return dirOrId;
  if (options.resolveDir) return options.resolveDir(dirOrId);
  throw new Error(`${dirOrId}: no such model directory (Hub ids need a resolver: pass resolveDir, e.g. the data layer's Hub client)`);
}

/** A causal-LM config becomes *ForSequenceClassification with a fresh score head; an existing score head must match. */
function ensureScoreHead(config: HfModelConfig, weights: Map<string, HostTensor>, numLabels: number, seed: number): HfModelConfig {
  if (config.head.kind === 'sequence-classification') {
    if (config.head.numLabels !== numLabels) throw new Error(`the checkpoint's score head has ${config.head.numLabels} labels, ${numLabels} needed`);
    return config;
  }
  const data = new Float32Array(config.hiddenSize * numLabels);
  new SeededRandom(seed, 'score').fillNormal(data, 0, config.initializerRange);
  weights.set('score.weight', { dtype: 'float32', dims: [config.hiddenSize, numLabels], data });
  weights.delete('lm_head.weight');
  return withSequenceClassificationHead(config, numLabels);
}
