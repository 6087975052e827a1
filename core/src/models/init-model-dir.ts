import type { HfModelConfig } from './hf-model-config.js';
import { initWeights } from './init-weights.js';
import type { ModelTypeTable } from './model-type.js';
import { presetConfig } from './model-presets.js';
import { saveModelDir } from './model-dir.js';
import { fromCanonicalWeights, toCanonicalWeights } from './canonical-weights.js';
import type { Tokenizer } from './tokenizer.js';

export interface InitModelDirOptions {
  /** The installed model types (`modelTypesOf(kernel)`, or a plugin's table); `arch` is one of them with presets. */
  readonly modelTypes: ModelTypeTable;
  readonly arch: string;
  /** A preset size (`tiny`, `small`) or one of the model type's real shapes (`realShapes`). */
  readonly size: string;
  /** Its vocabulary size and special tokens shape the config; its files are saved beside the model. */
  readonly tokenizer: Tokenizer;
  readonly seed?: number;
  readonly dtype?: 'F32' | 'F16' | 'BF16';
}

/**
 * Creates a randomly initialised preset model directory (config, weights, generation config, tokenizer)
 * that transformers and loadModelDir can both load. Returns the config.
 */
export async function initModelDir(dir: string, options: InitModelDirOptions): Promise<HfModelConfig> {
  const tok = options.tokenizer;
  const config = presetConfig(options.modelTypes, options.arch, options.size, {
    vocabSize: tok.vocabSize,
    bosTokenId: tok.bosTokenId,
    eosTokenId: tok.eosTokenId,
    padTokenId: tok.ownPadTokenId,
  });
  const tensors = initWeights(config, options.seed ?? 0);
  const dtype = options.dtype ?? 'F32';
  const stored = dtype === 'F32' ? tensors : fromCanonicalWeights(config, toCanonicalWeights(config, tensors).weights, { dtype });
  await saveModelDir(dir, config, { tensors: stored, tokenizer: tok, dtype });
  return config;
}
