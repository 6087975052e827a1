import { parseModelConfig, type HfModelConfig } from './hf-model-config.js';
import { modelTypeNames, type ModelTypeTable, type PresetDims } from './model-type.js';
import { tensorSpecs } from './tensor-layout.js';

export const PRESET_SIZES = ['tiny', 'small'] as const;
export type PresetSize = (typeof PRESET_SIZES)[number];

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

/** A preset's sizes in the config.json fields every decoder spells the same way (plus the token ids). */
export function presetShapeFields(d: PresetDims): Record<string, unknown> {
  return {
    vocab_size: d.vocabSize,
    hidden_size: d.hidden,
    intermediate_size: d.intermediate,
    num_hidden_layers: d.layers,
    num_attention_heads: d.heads,
    num_key_value_heads: d.kvHeads,
    max_position_embeddings: d.positions,
    initializer_range: 0.02,
    ...d.tokenIds,
  };
}

/** The model types of `modelTypes` that have `model init` presets, sorted. */
export function presetModelTypes(modelTypes: ModelTypeTable): string[] {
  return modelTypeNames(modelTypes).filter((type) => modelTypes[type]!.presetConfig !== undefined);
}

/** The presets of a model type: the sizes, then its real checkpoint shapes (none when it has no presets). */
export function presetNames(modelTypes: ModelTypeTable, modelType: string): string[] {
  const traits = Object.hasOwn(modelTypes, modelType) ? modelTypes[modelType]! : undefined;
  if (!traits?.presetConfig) return [];
  return [...PRESET_SIZES, ...Object.keys(traits.realShapes ?? {})];
}

/**
 * The config.json of a preset model, as transformers would write it (the model type spells the sizes in its
 * fields, or gives a real checkpoint's config.json). Dropout is 0 because the engine has none, so the saved model
 * trains the same way under PyTorch. `preset` is a size (`tiny`, `small`) or a real shape's name.
 */
export function presetConfigJson(modelTypes: ModelTypeTable, modelType: string, preset: string, tokens: PresetTokens): Record<string, unknown> {
  const names = presetNames(modelTypes, modelType);
  if (names.length === 0) throw new Error(`model type "${modelType}" has no presets (presets: ${presetModelTypes(modelTypes).join(', ') || 'none'})`);
  if (!names.includes(preset)) throw new Error(`model type "${modelType}" has no preset "${preset}" (presets: ${names.join(', ')})`);
  const traits = modelTypes[modelType]!;
  const tokenIds = { bos_token_id: tokens.bosTokenId, eos_token_id: tokens.eosTokenId, pad_token_id: tokens.padTokenId ?? null };
  const realShape = (PRESET_SIZES as readonly string[]).includes(preset) ? undefined : traits.realShapes![preset];
  if (realShape) return { ...realShape, vocab_size: tokens.vocabSize, ...tokenIds };
  return traits.presetConfig!({ ...SIZES[preset as PresetSize], vocabSize: tokens.vocabSize, tokenIds });
}

export function presetConfig(modelTypes: ModelTypeTable, modelType: string, preset: string, tokens: PresetTokens): HfModelConfig {
  return parseModelConfig(presetConfigJson(modelTypes, modelType, preset, tokens), modelTypes, `preset ${modelType}/${preset}`);
}

/** Number of parameters of a config (tied embeddings counted once). */
export function parameterCount(config: HfModelConfig): number {
  return tensorSpecs(config).reduce((n, s) => n + s.hfShape.reduce((a, b) => a * b, 1), 0);
}
