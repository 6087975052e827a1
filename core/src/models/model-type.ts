import type { HfModelConfig } from './hf-model-config.js';
import type { JsonFields } from './json-fields.js';
import type { TensorSpec } from './tensor-layout.js';

/** What every config.json has and core reads itself (head, token ids, the raw object); a model type reads the rest. */
export type SharedConfigKey = 'modelType' | 'traits' | 'architectures' | 'head' | 'bosTokenId' | 'eosTokenIds' | 'padTokenId' | 'raw';

/** The sizes of a `model init` preset (tiny, small), which a model type spells in its own config.json fields. */
export interface PresetDims {
  readonly layers: number;
  readonly hidden: number;
  readonly heads: number;
  readonly kvHeads: number;
  readonly intermediate: number;
  readonly positions: number;
  readonly vocabSize: number;
  /** bos_token_id, eos_token_id, pad_token_id as config.json writes them. */
  readonly tokenIds: Readonly<Record<string, number | null>>;
}

/**
 * How one Hugging Face `model_type` is read and laid out: what an architecture plugin declares for each
 * model type it builds (`@Architecture({ modelTypes: { llama: traits } })`). Core keeps only what every
 * type shares (the head, token ids, the lm_head / score tensors); everything a type spells its own way is here.
 */
export interface ModelTypeTraits<C extends HfModelConfig = HfModelConfig> {
  /** Reads the type's own config.json fields into the canonical config; errors go through `fields.fail` (naming file and field). */
  readConfig(fields: JsonFields, modelType: string): Omit<C, SharedConfigKey>;
  /** The base model's tensors (embeddings, blocks, final norm) under `prefix`, in module order; core adds the head. */
  tensorSpecs(config: C, prefix: string): TensorSpec[];
  /** The base-model prefix transformers writes (`model.`), and the token embedding's name under it (found to tell the prefix of a checkpoint). */
  readonly tensorPrefix: string;
  readonly embeddingName: string;
  /** Checkpoint buffers that are recomputed, never loaded (e.g. rotary inv_freq). */
  readonly ignoredTensors?: readonly RegExp[];
  /** The class-name stem transformers uses (`Qwen2` in Qwen2ForSequenceClassification). */
  readonly classPrefix: string;
  /** config.json of a `model init` preset of these sizes; a type without it has no presets. */
  presetConfig?(dims: PresetDims): Record<string, unknown>;
  /**
   * The config.json of real checkpoints by name (`model init --preset llama-3.2-1b`): their shapes, vocabulary
   * and special tokens as published, for random weights of the real size.
   */
  readonly checkpointPresets?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
}

/** model_type → its traits: what a kernel's architectures declare (`modelTypesOf`), or a plugin's exported table (tests, scripts). */
export type ModelTypeTable = Readonly<Record<string, ModelTypeTraits>>;

/** The model types a table reads, sorted (for errors and help). */
export function modelTypeNames(modelTypes: ModelTypeTable): string[] {
  return Object.keys(modelTypes).sort();
}

/**
 * The traits of a model type whose checkpoints name their tensors as the Llama lineage does (`model.embed_tokens.weight`,
 * rotary `inv_freq` buffers skipped): `own` gives what the type reads and lays out, and may override these.
 */
export function llamaLineageTraits<C extends HfModelConfig>(own: Pick<ModelTypeTraits<C>, 'readConfig' | 'tensorSpecs' | 'classPrefix'> & Partial<ModelTypeTraits<C>>): ModelTypeTraits<C> {
  return { tensorPrefix: 'model.', embeddingName: 'embed_tokens.weight', ignoredTensors: [/(^|\.)rotary_emb\.inv_freq$/], ...own };
}
