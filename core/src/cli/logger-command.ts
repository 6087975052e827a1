import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { isOfflineSyncSink } from '../training/metric-sink.js';
import { ExtensionPoints } from '../training/extension-points.js';
import { UsageError } from './exit-codes.js';
import type { CliContext } from './cli-context.js';
import type { Kernel } from '../kernel/kernel.js';

/**
 * `aligntune logger sync <logger-id> DIR` uploads a run that a metric logger saved locally (an offline run,
 * or what an online run could not send); `aligntune <logger-id> sync DIR` is the same (see
 * expandLoggerSyncAlias), e.g. `aligntune wandb sync DIR` as W&B users know it. Prints one JSON line:
 * `{"logger", "dir", "uploaded", "run_id", "url"}`.
 */
export function registerLoggerCommand(program: Command, context: CliContext): void {
  program
    .command('logger')
    .description('work with metric loggers (logging.loggers); `aligntune <logger> sync DIR` is short for `aligntune logger sync <logger> DIR`')
    .command('sync')
    .description("upload a run directory a logger saved offline (e.g. wandb's <output_dir>/wandb/offline-run-* or run-*; needs the logger's credentials, e.g. WANDB_API_KEY)")
    .argument('<logger>', 'the metric logger id, e.g. wandb')
    .argument('<dir>', 'the run directory the logger wrote')
    .action((logger: string, dir: string) => syncRun(context, logger, dir));
}

/**
 * `aligntune [globals] <id> sync ...` becomes `aligntune [globals] logger sync <id> ...` when `<id>` names no
 * command and is an installed metric logger (read from the plugins' manifests, nothing imported), so each
 * logger gets the sync command its users know without core naming it. Other command lines are unchanged.
 */
export async function expandLoggerSyncAlias(
  program: Command,
  argv: readonly string[],
  kernelFor: (project: string | undefined) => Promise<Kernel>,
): Promise<string[]> {
  const { operands, project } = scanGlobals(program, argv);
  const [first, second] = operands;
  if (first === undefined || second?.value !== 'sync' || program.commands.some((c) => c.name() === first.value || c.aliases().includes(first.value))) {
    return [...argv];
  }
  const kernel = await kernelFor(project);
  if (!kernel.ids(ExtensionPoints.metricLogger.kind).includes(first.value)) return [...argv];
  return argv.flatMap((arg, index) => (index === first.index ? ['logger', 'sync', arg] : index === second.index ? [] : [arg]));
}

/** The command line's operands (with their positions) and its --project, skipping the program's options and their values. */
function scanGlobals(program: Command, argv: readonly string[]) {
  const operands: Array<{ value: string; index: number }> = [];
  let project: string | undefined;
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index]!;
    if (arg === '--') break;
    if (!arg.startsWith('-')) {
      operands.push({ value: arg, index });
      continue;
    }
    const [flag, inline] = arg.split(/=(.*)/s);
    const option = program.options.find((o) => o.long === flag || o.short === flag);
    if (!option || !(option.required || option.optional) || inline !== undefined) {
      if (option?.attributeName() === 'project') project = inline;
      continue;
    }
    const value = argv[++index];
    if (option.attributeName() === 'project') project = value;
  }
  return { operands, project };
}

async function syncRun(context: CliContext, id: string, dir: string): Promise<void> {
  const path = resolve(dir);
  if (!existsSync(path) || !statSync(path).isDirectory()) throw new UsageError(`${dir} is not a directory`);
  const kernel = await context.projectKernel();
  const sink = await kernel.create(ExtensionPoints.metricLogger, id);
  if (!isOfflineSyncSink(sink)) throw new UsageError(`metric logger '${id}' cannot upload saved runs (it has no offline sync)`);
  const result = await sink.syncOffline(path, context.logger);
  context.io.stdout(`${JSON.stringify({ logger: id, dir: path, uploaded: result.uploaded, run_id: result.runId, url: result.url })}\n`);
}
