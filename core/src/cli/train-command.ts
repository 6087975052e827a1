import { dirname, resolve } from 'node:path';
import { Command } from 'commander';
import { ConfigLoader } from '../config/config-loader.js';
import { ConfigValidationError } from '../config/config-validation-error.js';
import { configNotes } from '../config/plugin-options.js';
import type { UnifiedConfig } from '../config/unified-config.js';
import type { Kernel } from '../kernel/kernel.js';
import { claimOutputDir } from '../training/claim-output-dir.js';
import { resolveComputeBackend } from '../training/compute-backend.js';
import { refuseUnscalableStepMode } from '../training/mixed-precision.js';
import { signalExitCode } from '../training/signal-guard.js';
import { TrainerFactory } from '../training/trainer-factory.js';
import { UsageError } from './exit-codes.js';
import { formatLaunch, planRanks, runLaunch } from './launch-ranks.js';
import { positiveInt, positiveNumber } from './option-parsers.js';
import type { CliContext } from './cli-context.js';

/** Options shared by `train` and `validate`: a config file and/or the spec's flag form, plus overrides. */
interface ConfigOptions {
  config?: string;
  set: string[];
  algo?: string;
  model?: string;
  dataset: string[];
  reward: string[];
  maxSteps?: number;
  epochs?: number;
  learningRate?: number;
  batchSize?: number;
  outputDir?: string;
  overwriteOutputDir?: boolean;
  backend?: string;
  device?: string;
}

export function registerTrainCommand(program: Command, context: CliContext): void {
  withConfigOptions(program.command('train').description('train with a config file and/or flags'))
    .action(async (options: ConfigOptions) => {
      const { config, kernel, setup } = await resolveConfig(options, context, true);
      const { debug, quiet } = context.globals();
      if (!debug && !quiet) context.logger.setLevel(config.logging.level); // --debug/--quiet win over the config
      const start = await planRanks(kernel, config, process.argv);
      if ('plan' in start) {
        context.logger.info(`starting ${config.distributed.nodes * config.distributed.gpus_per_node} ranks: ${formatLaunch(start.plan)}`);
        context.setExitCode(await runLaunch(start.plan));
        return;
      }
      // rank 0 owns the output directory, its run log and the console; the other ranks log only warnings and
      // errors, and the trainer makes them wait until rank 0 has claimed the directory
      if (start.rank > 0 && !debug) context.logger.setLevel('warn');
      // a step mode the backend's mixed precision cannot run is refused with no output directory left behind
      // (createTrainer checks it too, for library callers; its other refusals go to the run log opened below)
      await refuseUnscalableStepMode(kernel, config);
      if (start.rank === 0) {
        // before the run log opens there: a directory holding another run is refused (or cleared) untouched
        await claimOutputDir(config, { logger: context.logger, inputs: options.config ? { '--config': options.config } : {} });
        context.logger.attachRunLog(config.logging.output_dir);
      }
      context.logger.info(`aligntune: ${config.algo} on ${config.model.name_or_path}`);
      for (const note of configNotes(config, kernel)) context.logger.info(note);
      // the same project and config directory as validation, so relative `plugins:` paths resolve alike
      const trainer = await TrainerFactory.createTrainer(config, { kernel, ...setup });
      const { stopSignal } = await trainer.train();
      // stopped by Ctrl-C or a scheduler: the shell's code, so `aligntune train && next` does not go on
      if (stopSignal) context.setExitCode(signalExitCode(stopSignal));
    });
}

export function registerValidateCommand(program: Command, context: CliContext): void {
  withConfigOptions(program.command('validate').description('validate a config against the installed plugins, without training'))
    .option('--print', 'print the resolved config (defaults applied) as YAML on stdout')
    .option('--config-only', 'check the configuration alone, not the model and data files it names')
    .action(async (options: ConfigOptions & { print?: boolean; configOnly?: boolean }) => {
      const { config, kernel } = await resolveConfig(options, context, !options.configOnly);
      const quiet = context.globals().quiet;
      if (!quiet) context.io.stderr(`${options.config ?? 'configuration'}: valid (${config.algo}, ${config.datasets.length} dataset(s))\n`);
      if (!quiet) for (const note of configNotes(config, kernel)) context.io.stderr(`note: ${note}\n`);
      if (!kernel.has('algorithm', config.algo)) {
        context.io.stderr(`note: no installed plugin provides algorithm "${config.algo}" yet, so \`aligntune train\` cannot run it\n`);
      }
      if (kernel.ids('compute-backend').length === 0) {
        context.io.stderr('note: no installed plugin provides a compute backend, so `aligntune train` cannot run (install one; `aligntune plugins` lists what is installed)\n');
      }
      if (options.print) context.io.stdout(ConfigLoader.stringify(config));
    });
}

function withConfigOptions(command: Command): Command {
  const collect = (value: string, previous: string[]) => [...previous, value];
  return command
    .option('-c, --config <file>', 'YAML or JSON config file')
    .option('--set <path=value>', 'override a config value, e.g. train.learning_rate=1e-5 (repeatable)', collect, [])
    .option('--algo <algo>', 'algorithm id (`aligntune plugins` lists the installed ones)')
    .option('--model <name_or_path>', 'model directory or Hugging Face Hub id')
    .option('--dataset <spec>', 'dataset spec name[:split][#percent=N|max=N][?map.new=old] (repeatable)', collect, [])
    .option('--reward <spec>', 'reward spec type:weight=W:param=value (repeatable)', collect, [])
    .option('--max-steps <n>', 'train.max_steps', positiveInt)
    .option('--epochs <n>', 'train.epochs', positiveInt)
    .option('--learning-rate <x>', 'train.learning_rate', positiveNumber)
    .option('--batch-size <n>', 'train.per_device_batch_size', positiveInt)
    .option('--output-dir <dir>', 'logging.output_dir')
    .option('--overwrite-output-dir', 'logging.overwrite_output_dir: start afresh in an output dir that holds a run (removing it)')
    .option('--backend <id>', 'compute.backend: the compute backend (`aligntune plugins` shows which can run here)')
    .option('--device <device>', 'compute.device: the device kind, e.g. cuda (default: the host CPU)');
}

/** Builds the plain config (file, then flags, then --set), discovers plugins, and validates (with the model and data files, when asked). */
async function resolveConfig(options: ConfigOptions, context: CliContext, checkResources: boolean): Promise<{ config: UnifiedConfig; kernel: Kernel; setup: { projectDir?: string; baseDir?: string } }> {
  if (!options.config && !options.algo) {
    throw new UsageError('give a config file (--config FILE) or the flag form (--algo A --model M --dataset SPEC --max-steps N)');
  }
  const plain = options.config ? ConfigLoader.readFile(options.config) : {};
  applyFlags(plain, options);
  const kernel = await context.projectKernel();
  const source = options.config;
  const setup = { projectDir: context.globals().project, baseDir: source ? dirname(resolve(source)) : undefined };
  const { config } = await TrainerFactory.resolveConfig(plain, { kernel, ...setup, source, overrides: options.set, checkResources });
  // a backend that cannot run here is refused before anything is written (the trainer resolves the same one);
  // with none installed, validate notes it and the trainer refuses after the algorithm check
  if (checkResources && kernel.ids('compute-backend').length > 0) await resolveComputeBackend(kernel, config.compute).catch((error: unknown) => {
    throw error instanceof ConfigValidationError ? new ConfigValidationError(error.issues, source) : error;
  });
  return { config, kernel, setup };
}

/** The spec's flag form: each flag sets one config field, overriding the file. */
function applyFlags(plain: Record<string, unknown>, options: ConfigOptions): void {
  const section = (key: string) => ((plain[key] ??= {}) as Record<string, unknown>);
  if (options.algo !== undefined) plain.algo = options.algo;
  if (options.model !== undefined) section('model').name_or_path = options.model;
  if (options.dataset.length > 0) plain.datasets = [...options.dataset];
  if (options.reward.length > 0) plain.rewards = [...options.reward];
  if (options.maxSteps !== undefined) section('train').max_steps = options.maxSteps;
  if (options.epochs !== undefined) section('train').epochs = options.epochs;
  if (options.learningRate !== undefined) section('train').learning_rate = options.learningRate;
  if (options.batchSize !== undefined) section('train').per_device_batch_size = options.batchSize;
  if (options.outputDir !== undefined) section('logging').output_dir = options.outputDir;
  if (options.overwriteOutputDir) section('logging').overwrite_output_dir = true;
  if (options.backend !== undefined) section('compute').backend = options.backend;
  if (options.device !== undefined) section('compute').device = options.device;
}
