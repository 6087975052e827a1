// What the examples share and is not part of aligntune's API: command-line settings, a tiny offline model,
// the fixture data, and printing the result.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { initModelDir, Tokenizer, type TrainResult } from '@aligntune/core';
import { buildTinyChatTokenizerFiles } from '@aligntune/core/testing';
import { LLAMA_MODEL_TYPES } from '@aligntune/plugin-arch-llama';

export interface ExampleSettings {
  /** Local model directory or Hugging Face Hub id. */
  model: string;
  data: string;
  out: string;
  steps: number;
  /** The example's own options (`--algo`, `--reward-model`), by name. */
  options: Record<string, string | undefined>;
}

export interface ExampleDefaults {
  data: string;
  steps: number;
  /** Extra `--name value` options the example accepts, with their defaults. */
  options?: Record<string, string | undefined>;
}

/** Where the model is created when no --model is given (relative to the working directory). */
const DEFAULT_MODEL = './output/models/tiny-llama';

/** A file of examples/data/, found from this module so that an example runs from any working directory. */
export function fixture(name: string): string {
  return fileURLToPath(new URL(`../../data/${name}`, import.meta.url));
}

/**
 * Reads `--model --data --out --steps` and the example's own options. Without --model, a tiny random Llama
 * is created at DEFAULT_MODEL on first use, so every example runs offline on a fresh checkout.
 */
export async function exampleSettings(name: string, defaults: ExampleDefaults): Promise<ExampleSettings> {
  const own = defaults.options ?? {};
  const names = ['model', 'data', 'out', 'steps', ...Object.keys(own)];
  const { values } = parseArgs({ options: Object.fromEntries(names.map((option) => [option, { type: 'string' as const }])) });
  const given = values as Record<string, string | undefined>;
  const steps = Number(given.steps ?? defaults.steps);
  if (!Number.isSafeInteger(steps) || steps < 1) throw new Error(`--steps ${given.steps}: expected a positive integer`);
  const options = Object.fromEntries(Object.entries(own).map(([option, value]) => [option, given[option] ?? value]));
  const model = given.model ?? (await ensureTinyModel(DEFAULT_MODEL));
  // grpo.ts runs four algorithms: each gets its own default output directory
  const out = given.out ?? `./output/library/${options.algo ?? name}`;
  return { model, data: given.data ?? defaults.data, out, steps, options };
}

/**
 * A 2-layer Llama with random weights and a BPE tokenizer of a few hundred tokens (ChatML template), both
 * built in code: too small to learn anything useful, but every algorithm runs on it in seconds.
 */
async function ensureTinyModel(dir: string): Promise<string> {
  if (existsSync(join(dir, 'config.json'))) return dir;
  const tokenizer = new Tokenizer(buildTinyChatTokenizerFiles(), 'tiny-chat');
  await initModelDir(dir, { modelTypes: LLAMA_MODEL_TYPES, arch: 'llama', size: 'tiny', tokenizer });
  console.error(`created a tiny random Llama in ${dir}`);
  return dir;
}

/** The result on stdout as JSON (progress and logs go to stderr). */
export function printResult(result: TrainResult): void {
  console.log(JSON.stringify(result, null, 2));
}

/**
 * The seed's `ModelConfig(name_or_path=...)`: an instance of a config class with the given fields; the rest
 * keep their defaults. `Extra` admits an algorithm plugin's options in TrainingConfig
 * (`create<TrainingConfig, DpoOptions>(TrainingConfig, { beta: 0.1 })`), type-checked like the rest.
 */
export function create<T extends object, Extra extends object = object>(type: new () => T, fields: Partial<T & Extra>): T & Partial<Extra> {
  return Object.assign(new type(), fields);
}
