import { parseModelConfig, type HfModelConfig } from './hf-model-config.js';
import { modelTypeNames, type ModelTypeTable, type PresetDims } from './model-type.js';
import { tensorSpecs } from './tensor-layout.js';

export const PRESET_SIZES = ['tiny', 'small'] as const;
/** A size (tiny, small) or the name of one of the model type's checkpoint presets (`llama-3.2-1b`). */
export type PresetSize = (typeof PRESET_SIZES)[number] | (string & {});

/** Special-token ids of the tokenizer the model is built for; the vocabulary size is the tokenizer's. */
export interface PresetTokens {
  readonly vocabSize: number;
  readonly bosTokenId: number | null;
  readonly eosTokenId: number | null;
  readonly padTokenId?: number | null;
}

/** tiny: a test model (2 layers, hidden 64); small: a few million parameters, most of them embeddings. */
const SIZES: Record<PresetSize, Omit<PresetDims, 'vocabSize' | 'tokenIds'>> = {
  tiny: { layers: 2, hidden: 64, heads: 4, kvHeads: 2, intermediate: 128, positions: 256 },
  small: { layers: 4, hidden: 128, heads: 4, kvHeads: 2, intermediate: 352, positions: 512 },
};

/** The model types of `modelTypes` that have `model init` presets, sorted. */
export function presetModelTypes(modelTypes: ModelTypeTable): string[] {
  return modelTypeNames(modelTypes).filter((type) => modelTypes[type]!.presetConfig !== undefined);
}

/** The presets a model type offers: the sizes, then its checkpoint presets by name. */
export function presetNames(modelTypes: ModelTypeTable, modelType: string): string[] {
  return [...PRESET_SIZES, ...Object.keys(modelTypes[modelType]?.checkpointPresets ?? {})];
}

/**
 * The config.json of a preset model, as transformers would write it (the model type spells the sizes in its
 * fields). Dropout is 0 because the engine has none, so the saved model trains the same way under PyTorch.
 */
export function presetConfigJson(modelTypes: ModelTypeTable, modelType: string, size: PresetSize, tokens: PresetTokens): Record<string, unknown> {
  const preset = Object.hasOwn(modelTypes, modelType) ? modelTypes[modelType]!.presetConfig : undefined;
  if (!preset) throw new Error(`model type "${modelType}" has no presets (presets: ${presetModelTypes(modelTypes).join(', ') || 'none'})`);
  if (!(PRESET_SIZES as readonly string[]).includes(size)) return checkpointPreset(modelTypes, modelType, size, tokens);
  const tokenIds = { bos_token_id: tokens.bosTokenId, eos_token_id: tokens.eosTokenId, pad_token_id: tokens.padTokenId ?? null };
  return preset({ ...SIZES[size as (typeof PRESET_SIZES)[number]], vocabSize: tokens.vocabSize, tokenIds });
}

/** A real checkpoint's config.json; the tokenizer must fit its vocabulary (the ids are the checkpoint's). */
function checkpointPreset(modelTypes: ModelTypeTable, modelType: string, name: string, tokens: PresetTokens): Record<string, unknown> {
  const config = checkpointPresetOf(modelTypes, modelType, name);
  if (!config) throw new Error(`model type "${modelType}" has no preset "${name}" (presets: ${presetNames(modelTypes, modelType).join(', ')})`);
  const problem = presetTokenizerProblem(modelTypes, modelType, name, tokens.vocabSize);
  if (problem) throw new Error(problem);
  return structuredClone(config) as Record<string, unknown>;
}

/** Why a tokenizer of `vocabSize` tokens cannot build the preset (a checkpoint preset's vocabulary is the checkpoint's), or null. */
export function presetTokenizerProblem(modelTypes: ModelTypeTable, modelType: string, preset: string, vocabSize: number): string | null {
  const config = checkpointPresetOf(modelTypes, modelType, preset);
  if (!config || vocabSize <= (config.vocab_size as number)) return null;
  return `preset ${modelType}/${preset} has vocab_size ${String(config.vocab_size)}, smaller than the tokenizer's ${vocabSize}: pass the checkpoint's own tokenizer`;
}

function checkpointPresetOf(modelTypes: ModelTypeTable, modelType: string, name: string): Readonly<Record<string, unknown>> | undefined {
  const presets = (Object.hasOwn(modelTypes, modelType) ? modelTypes[modelType]!.checkpointPresets : undefined) ?? {};
  return Object.hasOwn(presets, name) ? presets[name] : undefined;
}

export function presetConfig(modelTypes: ModelTypeTable, modelType: string, size: PresetSize, tokens: PresetTokens): HfModelConfig {
  return parseModelConfig(presetConfigJson(modelTypes, modelType, size, tokens), modelTypes, `preset ${modelType}/${size}`);
}

/** Number of parameters of a config (tied embeddings counted once). */
export function parameterCount(config: HfModelConfig): number {
  return tensorSpecs(config).reduce((n, s) => n + s.hfShape.reduce((a, b) => a * b, 1), 0);
}
