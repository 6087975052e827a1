import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { isOfflineSyncSink } from '../training/metric-sink.js';
import { ExtensionPoints } from '../training/extension-points.js';
import { UsageError } from './exit-codes.js';
import type { CliContext } from './cli-context.js';

/**
 * `aligntune logger sync <logger-id> DIR` uploads a run that a metric logger saved locally (an offline run,
 * or what an online run could not send); `aligntune wandb sync DIR` is the same for W&B. Prints one JSON
 * line: `{"logger", "dir", "uploaded", "run_id", "url"}`.
 */
export function registerLoggerCommand(program: Command, context: CliContext): void {
  program
    .command('logger')
    .description('work with metric loggers (logging.loggers)')
    .command('sync')
    .description("upload a run directory a logger saved offline (e.g. wandb's <output_dir>/wandb/offline-run-*)")
    .argument('<logger>', 'the metric logger id, e.g. wandb')
    .argument('<dir>', 'the run directory the logger wrote')
    .action((logger: string, dir: string) => syncRun(context, logger, dir));
  program
    .command('wandb')
    .description('Weights & Biases')
    .command('sync')
    .description('upload an offline or partly uploaded W&B run directory (<output_dir>/wandb/offline-run-* or run-*); needs WANDB_API_KEY')
    .argument('<dir>', 'the W&B run directory')
    .action((dir: string) => syncRun(context, 'wandb', dir));
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
