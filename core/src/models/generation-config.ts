import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { HfModelConfig } from './hf-model-config.js';
import { JsonFields } from './json-fields.js';

export const GENERATION_CONFIG_NAME = 'generation_config.json';

/** The fields of generation_config.json that sampling uses; absent ones are undefined, `raw` keeps the rest. */
export interface HfGenerationConfig {
  readonly bosTokenId: number | null;
  readonly eosTokenIds: readonly number[];
  readonly padTokenId: number | null;
  readonly doSample?: boolean;
  readonly temperature?: number;
  readonly topP?: number;
  readonly topK?: number;
  readonly minP?: number;
  readonly repetitionPenalty?: number;
  readonly maxNewTokens?: number;
  readonly maxLength?: number;
  readonly raw: Readonly<Record<string, unknown>>;
}

export function parseGenerationConfig(raw: Readonly<Record<string, unknown>>, file = GENERATION_CONFIG_NAME): HfGenerationConfig {
  const f = new JsonFields(raw, file);
  const num = (field: string) => (f.has(field) ? f.numberOr(field, 0) : undefined);
  const int = (field: string) => (f.has(field) ? f.countOr(field, 1) : undefined);
  return {
    bosTokenId: f.tokenId('bos_token_id'),
    eosTokenIds: f.tokenIds('eos_token_id'),
    padTokenId: f.tokenId('pad_token_id'),
    doSample: f.has('do_sample') ? f.boolOr('do_sample', false) : undefined,
    temperature: num('temperature'),
    topP: num('top_p'),
    // top_k 0 disables the filter in transformers, so it is not a count.
    topK: f.has('top_k') ? f.numberOr('top_k', 0) : undefined,
    minP: num('min_p'),
    repetitionPenalty: num('repetition_penalty'),
    maxNewTokens: int('max_new_tokens'),
    maxLength: int('max_length'),
    raw: f.raw,
  };
}

/** Reads `<dir>/generation_config.json`, or null when the model has none. */
export async function readGenerationConfig(dir: string): Promise<HfGenerationConfig | null> {
  const file = join(dir, GENERATION_CONFIG_NAME);
  if (!existsSync(file)) return null;
  return parseGenerationConfig(JsonFields.parse(await readFile(file, 'utf8'), file).raw, file);
}

/** What transformers derives from the model config when it writes a generation_config.json of its own. */
export function generationConfigFromModel(config: HfModelConfig): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (config.bosTokenId !== null) out.bos_token_id = config.bosTokenId;
  if (config.eosTokenIds.length > 0) out.eos_token_id = config.eosTokenIds.length === 1 ? config.eosTokenIds[0] : [...config.eosTokenIds];
  if (config.padTokenId !== null) out.pad_token_id = config.padTokenId;
  return out;
}
