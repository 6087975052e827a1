import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { ConfigLoader } from '../config/config-loader.js';
import type { UnifiedConfig } from '../config/unified-config.js';
import type { Kernel } from '../kernel/kernel.js';
import { formatTable } from '../training/evaluator/eval-result.js';
import { UnifiedEvaluator } from '../training/evaluator/unified-evaluator.js';
import { TrainerFactory } from '../training/trainer-factory.js';
import { UsageError } from './exit-codes.js';
import { positiveInt } from './option-parsers.js';
import type { CliContext } from './cli-context.js';

interface EvaluateCommandOptions {
  model: string;
  config: string;
  reference?: string;
  json?: boolean;
  maxSamples?: number;
  maxNewTokens?: number;
}

/**
 * `aligntune evaluate --model DIR --config FILE`: the UnifiedEvaluator's per-dataset metrics of a model on the
 * config's eval split, as an aligned table (or JSON with --json) on stdout.
 */
export function registerEvaluateCommand(program: Command, context: CliContext): void {
  program
    .command('evaluate')
    .description("evaluate a model on the config's eval split: per-dataset task metrics (accuracy, pass@k, ROUGE, perplexity, preference accuracy, KL...)")
    .requiredOption('--model <dir>', 'the model directory to evaluate (config.json + safetensors)')
    .requiredOption('-c, --config <file>', 'the run config (YAML or JSON): datasets with eval_split, tasks, rewards')
    .option('--reference <dir>', 'reference model for implicit rewards and KL (default: model.ref_path, else the starting model sft_path/name_or_path)')
    .option('--max-samples <n>', 'evaluate at most N rows of each dataset', positiveInt)
    .option('--max-new-tokens <n>', 'generation length (default: max_length - max_prompt_length)', positiveInt)
    .option('--json', 'print the result as JSON')
    .action(async (options: EvaluateCommandOptions) => {
      const modelDir = checkModelDir(options.model, '--model');
      const { config, kernel } = await resolveConfig(options.config, context);
      const referenceDir = options.reference !== undefined ? checkModelDir(options.reference, '--reference') : defaultReference(config, modelDir);
      const evaluator = await UnifiedEvaluator.create(kernel, config, { modelDir, referenceDir, logger: context.logger, maxNewTokens: options.maxNewTokens });
      try {
        const result = await evaluator.evaluate({ maxSamples: options.maxSamples });
        const output = { model: modelDir, reference: referenceDir ?? null, ...result };
        context.io.stdout(options.json ? `${JSON.stringify(output, null, 2)}\n` : formatTable(result));
      } finally {
        await evaluator.dispose();
      }
    });
}

function checkModelDir(dir: string, flag: string): string {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UsageError(`${flag} ${dir}: no such model directory`);
  if (!existsSync(join(dir, 'config.json'))) throw new UsageError(`${flag} ${dir}: not a model directory (no config.json)`);
  return dir;
}

/** The config validated against the installed plugins, as `train` validates it (dataset paths stay relative to the working directory). */
async function resolveConfig(file: string, context: CliContext): Promise<{ config: UnifiedConfig; kernel: Kernel }> {
  const plain = ConfigLoader.readFile(file);
  const kernel = await context.projectKernel();
  return TrainerFactory.resolveConfig(plain, { kernel, projectDir: context.globals().project, baseDir: dirname(resolve(file)), source: file });
}

/** The reference a trainer of this config uses (ref_path, else the starting model); none when that is the evaluated model itself. */
function defaultReference(config: UnifiedConfig, modelDir: string): string | undefined {
  const reference = config.model.ref_path ?? config.model.sft_path ?? config.model.name_or_path;
  return resolve(reference) === resolve(modelDir) ? undefined : reference;
}
