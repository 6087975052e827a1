import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { writeDataAtomic } from '../util/atomic-write.js';
import { positiveInt } from './option-parsers.js';
import { readRunData } from './report/run-data.js';
import { renderReportPage } from './report/report-page.js';
import type { CliContext } from './cli-context.js';

interface ReportOptions {
  out?: string;
  samples: number;
  strict?: boolean;
}

/** `aligntune report <output_dir>`: one self-contained HTML file with a run's curves, config and samples. */
export function registerReportCommand(program: Command, context: CliContext): void {
  program
    .command('report')
    .description('write a self-contained HTML report of a run: metric charts, config summary, logged samples')
    .argument('<output_dir>', "a run's logging.output_dir")
    .option('--out <file>', 'where to write it (default: <output_dir>/report.html)')
    .option('--samples <n>', 'latest logged steps of samples shown per table or text tag', positiveInt, 5)
    .option('--strict', 'fail on a corrupt JSONL line or config file instead of skipping it with a warning')
    .action(async (dir: string, options: ReportOptions) => {
      const run = readRunData(resolve(dir), { strict: options.strict });
      for (const warning of run.warnings) context.io.stderr(`warning: ${warning}\n`);
      const out = resolve(options.out ?? join(dir, 'report.html'));
      await writeDataAtomic(out, renderReportPage(run, { samples: options.samples, generatedAt: new Date() }));
      context.io.stdout(`${out}\n`);
    });
}
