import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { JsonFields, ModelFileError } from './json-fields.js';
import { modelTypeNames, type ModelTypeTable, type ModelTypeTraits } from './model-type.js';

/** What sits on top of the decoder: a language-model head, or the `score` head of `*ForSequenceClassification`. */
export type ModelHead = { readonly kind: 'causal-lm' } | { readonly kind: 'sequence-classification'; readonly numLabels: number };

/**
 * The canonical config of a decoder-only model, in our names: what core's graphs, heads, attention and weight
 * handling read. An architecture plugin's config extends it with its own fields (norm epsilon, RoPE, biases).
 * `raw` is config.json as read; `traits` is how its model type reads and lays out (see ModelTypeTraits).
 */
export interface HfModelConfig {
  readonly modelType: string;
  readonly traits: ModelTypeTraits;
  readonly architectures: readonly string[];
  readonly head: ModelHead;
  readonly vocabSize: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly numHeads: number;
  readonly numKvHeads: number;
  readonly headDim: number;
  readonly intermediateSize: number;
  readonly maxPositionEmbeddings: number;
  readonly tieWordEmbeddings: boolean;
  readonly initializerRange: number;
  /** A key is visible when query − key < slidingWindow (Mistral); null means full causal attention. */
  readonly slidingWindow: number | null;
  /** Which layers use slidingWindow (Gemma 2/3 alternate local and global layers); absent: every layer. */
  readonly slidingLayers?: readonly boolean[];
  /** The lm head's logits become cap·tanh(logits / cap) (Gemma 2's final_logit_softcapping); absent or null: none. */
  readonly finalLogitSoftcapping?: number | null;
  readonly bosTokenId: number | null;
  readonly eosTokenIds: readonly number[];
  readonly padTokenId: number | null;
  readonly raw: Readonly<Record<string, unknown>>;
}

/** Each layer's sliding window (null: full causal attention), what the attention mask of that layer applies. */
export function layerWindows(config: HfModelConfig): (number | null)[] {
  return Array.from({ length: config.numLayers }, (_, i) => (config.slidingLayers?.[i] === false ? null : config.slidingWindow));
}

export interface ParseConfigOptions {
  /** Force the head regardless of `architectures` (e.g. a value model built from a policy config). */
  readonly head?: ModelHead;
}

export const CONFIG_NAME = 'config.json';

/** Reads `<dir>/config.json` as JSON, naming the file when it is missing or invalid. */
export async function readConfigJson(dir: string): Promise<JsonFields> {
  const file = join(dir, CONFIG_NAME);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new ModelFileError(file, undefined, 'cannot read the model configuration (is this a Hugging Face model directory?)');
  }
  return JsonFields.parse(text, file);
}

/** Reads `<dir>/config.json` with the model types of `modelTypes`. */
export async function readModelConfig(dir: string, modelTypes: ModelTypeTable, options: ParseConfigOptions = {}): Promise<HfModelConfig> {
  const fields = await readConfigJson(dir);
  return parseModelConfig(fields.raw, modelTypes, fields.file, options);
}

/**
 * Parses a config.json object: core reads the head and token ids, the model type's traits the rest. `modelTypes`
 * comes from the kernel's architectures (`modelTypesOf`) or a plugin's exported table; `file` only labels errors.
 */
export function parseModelConfig(raw: Readonly<Record<string, unknown>>, modelTypes: ModelTypeTable, file = CONFIG_NAME, options: ParseConfigOptions = {}): HfModelConfig {
  const f = new JsonFields(raw, file);
  const supported = `supported: ${modelTypeNames(modelTypes).join(', ') || 'none (install an architecture plugin)'}`;
  if (!f.has('model_type')) f.fail('model_type', `is required but missing (${supported})`);
  const modelType = f.stringOr('model_type', '');
  const traits = Object.hasOwn(modelTypes, modelType) ? modelTypes[modelType] : undefined;
  if (!traits) return f.fail('model_type', `"${modelType}" is not supported (${supported})`);
  return { ...traits.readConfig(f, modelType), modelType, traits, ...parseModelHead(f, options), ...tokenIds(f), raw: f.raw };
}

/** The head a config.json describes (`*ForSequenceClassification` → a score head of num_labels or id2label's size); needs no model type. */
export function parseModelHead(f: JsonFields, options: ParseConfigOptions = {}): { architectures: string[]; head: ModelHead } {
  const architectures = f.stringList('architectures');
  if (options.head) return { architectures, head: options.head };
  if (!architectures.some((a) => a.endsWith('ForSequenceClassification'))) return { architectures, head: { kind: 'causal-lm' } };
  const labels = f.raw.id2label;
  const fromLabels = typeof labels === 'object' && labels !== null ? Object.keys(labels).length : 2;
  return { architectures, head: { kind: 'sequence-classification', numLabels: f.countOr('num_labels', fromLabels) } };
}

function tokenIds(f: JsonFields) {
  return { bosTokenId: f.tokenId('bos_token_id'), eosTokenIds: f.tokenIds('eos_token_id'), padTokenId: f.tokenId('pad_token_id') };
}

/** The config read again from its config.json with `fields` changed (a pad token set, a head swapped), by its own model type. */
export function withConfigFields<C extends HfModelConfig>(config: C, fields: Readonly<Record<string, unknown>>, file = CONFIG_NAME): C {
  const raw: Record<string, unknown> = { ...config.raw, ...fields };
  for (const [key, value] of Object.entries(fields)) if (value === undefined) delete raw[key];
  return parseModelConfig(raw, { [config.modelType]: config.traits }, file) as C;
}

/** The config with a `score` head of `numLabels` outputs (1 for reward and value models), as config.json would say. */
export function withSequenceClassificationHead<C extends HfModelConfig>(config: C, numLabels = 1): C {
  // transformers serialises the label count as id2label/label2id, not num_labels.
  const labels = Array.from({ length: numLabels }, (_, i) => `LABEL_${i}`);
  return withConfigFields(config, {
    architectures: [`${config.traits.classPrefix}ForSequenceClassification`],
    id2label: Object.fromEntries(labels.map((l, i) => [String(i), l])),
    label2id: Object.fromEntries(labels.map((l, i) => [l, i])),
    num_labels: undefined,
  });
}
