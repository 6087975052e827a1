import {
  loadModelDir as loadModelDirWith,
  parseModelConfig as parseModelConfigWith,
  presetConfig as presetConfigWith,
  readModelConfig as readModelConfigWith,
  type HfModelConfig,
  type LoadedModelDir,
  type ModelTypeTable,
  type ParseConfigOptions,
  type PresetTokens,
} from '@aligntune/core';
import { GPT2_MODEL_TYPES } from '@aligntune/plugin-arch-gpt2';
import { LLAMA_MODEL_TYPES } from '@aligntune/plugin-arch-llama';
import { MOE_MODEL_TYPES } from '@aligntune/plugin-arch-moe';
import { PHI3_MODEL_TYPES } from '@aligntune/plugin-arch-phi3';
import { SMOLLM3_MODEL_TYPES } from '@aligntune/plugin-arch-smollm3';
import { GEMMA_MODEL_TYPES } from '@aligntune/plugin-arch-gemma';
import { OLMO2_MODEL_TYPES } from '@aligntune/plugin-arch-olmo2';

/** The model types of the built-in architecture plugins, imported directly, as tests have no kernel. */
export const MODEL_TYPES: ModelTypeTable = { ...GPT2_MODEL_TYPES, ...LLAMA_MODEL_TYPES, ...PHI3_MODEL_TYPES, ...SMOLLM3_MODEL_TYPES, ...MOE_MODEL_TYPES, ...GEMMA_MODEL_TYPES, ...OLMO2_MODEL_TYPES };

/** core's parseModelConfig reading the built-in model types. */
export function parseModelConfig(raw: Readonly<Record<string, unknown>>, file?: string, options?: ParseConfigOptions): HfModelConfig {
  return parseModelConfigWith(raw, MODEL_TYPES, file, options);
}

export function readModelConfig(dir: string): Promise<HfModelConfig> {
  return readModelConfigWith(dir, MODEL_TYPES);
}

export function presetConfig(modelType: string, size: string, tokens: PresetTokens): HfModelConfig {
  return presetConfigWith(MODEL_TYPES, modelType, size, tokens);
}

export function loadModelDir(dir: string): Promise<LoadedModelDir> {
  return loadModelDirWith(dir, { modelTypes: MODEL_TYPES });
}
