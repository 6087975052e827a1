import { Command, CommanderError } from 'commander';
import { Kernel } from '../kernel/kernel.js';
import { UnifiedLogger } from '../kernel/unified-logger.js';
import { prepareKernel } from '../training/run-context.js';
import type { CliContext, CliIo, GlobalOptions } from './cli-context.js';
import { exitCodeFor, ExitCode } from './exit-codes.js';
import { registerCacheCommand } from './cache-command.js';
import { registerEvaluateCommand } from './evaluate-command.js';
import { registerExportCommand } from './export-command.js';
import { expandLoggerSyncAlias, registerLoggerCommand } from './logger-command.js';
import { registerModelCommand } from './model-command.js';
import { registerPluginsCommand } from './plugins-command.js';
import { registerReportCommand } from './report-command.js';
import { registerRewardCommand } from './reward-command.js';
import { registerTrainCommand, registerValidateCommand } from './train-command.js';
import { coreVersion } from './version.js';

const processIo: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

/**
 * Runs the CLI and returns the exit code: 0 ok, 2 bad usage/config/plugin (message on stderr, no stack
 * unless --debug), 1 runtime failure. Never prompts.
 */
export async function runCli(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  const logger = new UnifiedLogger();
  const globals = () => program.opts<GlobalOptions>();
  // The CLI's project is the working directory's, not the application of its own entry script (core's bin).
  const kernelFor = (project: string | undefined) => prepareKernel({ kernel: new Kernel({ logger }), projectDir: project ?? process.cwd() });
  const projectKernel = () => kernelFor(globals().project);
  let exitCode: number = ExitCode.ok;
  const program = buildProgram({ io, logger, globals, projectKernel, setExitCode: (code) => void (exitCode = code) });
  try {
    await program.parseAsync(await expandLoggerSyncAlias(program, argv, kernelFor), { from: 'user' });
    return exitCode;
  } catch (error) {
    // a run that failed keeps its error in <output_dir>/logs/run.log too (once the command opened one)
    logger.errorToRunLog(errorText(error, true));
    return reportError(error, io, program.opts<GlobalOptions>().debug === true);
  } finally {
    await logger.close();
  }
}

/** The commander program with every command registered (also walked by the CLI reference generator). */
export function buildProgram(context: CliContext): Command {
  const program = new Command('aligntune')
    .description('Align language models: SFT, DPO, PPO, GRPO, GSPO, DAPO, Dr. GRPO — configuration-driven.')
    .version(coreVersion(), '-V, --version')
    .option('--debug', 'verbose logs and stack traces')
    .option('--quiet', 'only warnings and errors')
    .option('--project <dir>', 'application whose package.json dependencies are scanned for plugins (default: the working directory)')
    .exitOverride()
    .configureOutput({ writeOut: context.io.stdout, writeErr: context.io.stderr })
    .showHelpAfterError('(run with --help for usage)')
    .hook('preAction', () => {
      const { debug, quiet } = context.globals();
      if (debug) context.logger.setLevel('debug');
      else if (quiet) context.logger.setLevel('warn');
    });
  registerTrainCommand(program, context);
  registerValidateCommand(program, context);
  registerPluginsCommand(program, context);
  registerCacheCommand(program, context);
  registerRewardCommand(program, context);
  registerModelCommand(program, context);
  registerExportCommand(program, context);
  registerEvaluateCommand(program, context);
  registerReportCommand(program, context);
  registerLoggerCommand(program, context);
  return program;
}

function reportError(error: unknown, io: CliIo, debug: boolean): number {
  if (error instanceof CommanderError) {
    // Commander already printed its message; help and --version end here with code 0.
    return error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
  }
  io.stderr(`error: ${errorText(error, debug)}\n`);
  return exitCodeFor(error);
}

/** The error's message, or its stack trace (--debug, and always in the run log). */
function errorText(error: unknown, withStack: boolean): string {
  return withStack && error instanceof Error && error.stack ? error.stack : String((error as Error)?.message ?? error);
}
