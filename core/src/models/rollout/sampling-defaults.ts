import { GENERATION_CONFIG_NAME, type HfGenerationConfig } from '../generation-config.js';
import { ModelFileError } from '../json-fields.js';

/** The sampling fields an online algorithm may have, named as the sampler names them. */
export type SamplingField = 'temperature' | 'topK' | 'topP';

/** One sampling option of an algorithm: its config key, the user's value (undefined = not set) and the algorithm's default. */
export interface SamplingKnob {
  readonly key: string;
  readonly value: number | undefined;
  readonly fallback: number;
}

export type SamplingKnobs = { readonly temperature: SamplingKnob } & Partial<Record<Exclude<SamplingField, 'temperature'>, SamplingKnob>>;

export type ResolvedSampling = { readonly temperature: number } & Partial<Record<Exclude<SamplingField, 'temperature'>, number>>;

export interface SamplingResolution {
  readonly settings: ResolvedSampling;
  /** One line naming each value and where it came from (logged once at the start of a run). */
  readonly summary: string;
  /** generation_config.json fields that rollouts do not use, and why. */
  readonly warnings: readonly string[];
}

/** generation_config.json's name of each field, and the values the sampler accepts from it. */
const FILE_FIELDS: Record<SamplingField, { readonly name: string; readonly valid: (v: number) => boolean; readonly expected: string }> = {
  temperature: { name: 'temperature', valid: (v) => v > 0, expected: 'a positive number' },
  topK: { name: 'top_k', valid: (v) => Number.isSafeInteger(v) && v >= 0, expected: 'a non-negative integer (0 = off)' },
  topP: { name: 'top_p', valid: (v) => v > 0 && v <= 1, expected: 'a number in (0, 1]' },
};

/** Fields transformers' generate would apply that a rollout never takes from the file. */
const NOT_USED: ReadonlyArray<{ readonly name: string; readonly present: (g: HfGenerationConfig) => boolean; readonly why: string }> = [
  { name: 'min_p', present: (g) => g.minP !== undefined && g.minP !== 0, why: 'no online algorithm has a min_p option' },
  { name: 'repetition_penalty', present: (g) => g.repetitionPenalty !== undefined && g.repetitionPenalty !== 1, why: 'no online algorithm has a repetition_penalty option' },
  { name: 'max_new_tokens', present: (g) => g.maxNewTokens !== undefined, why: 'the algorithm\'s completion length decides, as TRL passes max_new_tokens itself' },
  { name: 'max_length', present: (g) => g.maxLength !== undefined, why: 'the algorithm\'s completion length decides' },
];

/**
 * The sampling settings of an online run: the user's config value, else the model's generation_config.json, else
 * the algorithm's default, as transformers' generate fills the fields a caller leaves at their defaults from the
 * model's generation config. Rollouts always sample (do_sample: false is not followed: G greedy completions of a
 * prompt are identical and carry no advantage; TRL passes do_sample=True too). `dir` is the model directory, for messages.
 */
export function resolveSampling(knobs: SamplingKnobs, generation: HfGenerationConfig | null, dir = '.'): SamplingResolution {
  const file = `${dir}/${GENERATION_CONFIG_NAME}`;
  const settings: Partial<Record<SamplingField, number>> = {};
  const parts: string[] = [];
  const warnings: string[] = [];
  for (const [field, knob] of Object.entries(knobs) as Array<[SamplingField, SamplingKnob | undefined]>) {
    if (!knob) continue;
    const spec = FILE_FIELDS[field];
    const fromFile = generation?.[field];
    if (knob.value !== undefined) {
      settings[field] = knob.value;
      parts.push(`${spec.name} ${knob.value} (${knob.key})`);
    } else if (fromFile !== undefined) {
      if (!spec.valid(fromFile)) throw new ModelFileError(file, spec.name, `must be ${spec.expected} to sample rollouts, got ${fromFile} (or set ${knob.key})`);
      settings[field] = fromFile;
      parts.push(`${spec.name} ${fromFile} (${GENERATION_CONFIG_NAME})`);
    } else {
      settings[field] = knob.fallback;
      parts.push(`${spec.name} ${knob.fallback} (default)`);
    }
  }
  if (generation) warnings.push(...unusedFields(knobs, generation));
  return { settings: settings as ResolvedSampling, summary: `sampling: ${parts.join(', ')}`, warnings };
}

function unusedFields(knobs: SamplingKnobs, generation: HfGenerationConfig): string[] {
  const warnings: string[] = [];
  if (generation.doSample === false) {
    warnings.push(`${GENERATION_CONFIG_NAME} sets do_sample: false; rollouts sample anyway (greedy completions of one prompt are identical and have zero advantage; TRL samples too). Its temperature / top_k / top_p are used as above unless the config sets them`);
  }
  const filters = { topK: (generation.topK ?? 0) > 0, topP: (generation.topP ?? 1) < 1 };
  for (const field of ['topK', 'topP'] as const) {
    if (!knobs[field] && filters[field]) warnings.push(`${GENERATION_CONFIG_NAME}'s ${FILE_FIELDS[field].name} is not used: this algorithm has no such option and samples the full distribution (as TRL's does)`);
  }
  for (const { name, present, why } of NOT_USED) if (present(generation)) warnings.push(`${GENERATION_CONFIG_NAME}'s ${name} is not used for rollouts: ${why}`);
  return warnings;
}
