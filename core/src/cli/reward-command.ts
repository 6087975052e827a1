import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { isChatMessages } from '../data/canonical-record.js';
import { RewardAggregator } from '../training/rewards/reward-aggregator.js';
import type { RewardBatch } from '../training/rewards/reward-function.js';
import { resolveRewardSpecs } from '../training/rewards/resolve-reward-specs.js';
import { assertPluginsHealthy } from '../training/run-context.js';
import { UsageError } from './exit-codes.js';
import { positiveInt } from './option-parsers.js';
import type { CliContext } from './cli-context.js';

interface ScoreOptions {
  reward: string[];
  input: string;
  batchSize: number;
}

/**
 * `aligntune reward score --reward SPEC... --input rows.jsonl`: scores completions with the installed rewards,
 * the way training would, and prints one JSON line per row: `{"rewards": {name: value}, "total": t, "shielded": b}`.
 * Handy for checking a reward (a custom one included) before spending a run on it.
 */
export function registerRewardCommand(program: Command, context: CliContext): void {
  const collect = (value: string, previous: string[]) => [...previous, value];
  program
    .command('reward')
    .description('work with reward functions')
    .command('score')
    .description('score completions from a JSONL file (prompt, completion, other columns) with reward specs')
    .option('--reward <spec>', 'reward spec type:weight=W:param=value (repeatable)', collect, [])
    .requiredOption('--input <file>', 'JSONL rows with "completion" (and "prompt", "completion_ids", reference, tests, ... columns)')
    .option('--batch-size <n>', 'rows scored together', positiveInt, 64)
    .action(async (options: ScoreOptions) => {
      if (options.reward.length === 0) throw new UsageError('give at least one --reward spec, e.g. --reward length:max_length=200');
      const kernel = await context.projectKernel();
      assertPluginsHealthy(kernel);
      const aggregator = await RewardAggregator.create(kernel, await resolveRewardSpecs(kernel, options.reward));
      const rows = readRows(options.input);
      for (let start = 0; start < rows.length; start += options.batchSize) {
        const scores = await aggregator.score(toBatch(rows.slice(start, start + options.batchSize)));
        const lines = scores.total.map((total, i) => {
          const rewards = Object.fromEntries(Object.entries(scores.raw).map(([name, values]) => [name, values[i]]));
          return JSON.stringify({ rewards, total, shielded: scores.shielded[i] });
        });
        context.io.stdout(`${lines.join('\n')}\n`);
      }
    });
}

type Row = Record<string, unknown>;

function readRows(file: string): Row[] {
  let text: string;
  try {
    text = readFileSync(resolve(file), 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read --input ${file}: ${(error as Error).message}`);
  }
  const rows: Row[] = [];
  text.split('\n').forEach((line, index) => {
    if (line.trim() === '') return;
    const where = `${file}:${index + 1}`;
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch (error) {
      throw new UsageError(`${where}: not JSON (${(error as Error).message})`);
    }
    if (typeof row !== 'object' || row === null || Array.isArray(row)) throw new UsageError(`${where}: each line must be a JSON object`);
    if (typeof (row as Row).completion !== 'string') throw new UsageError(`${where}: "completion" must be a string`);
    rows.push(row as Row);
  });
  return rows;
}

/** Rows to a reward batch; every other key, and the keys of a canonical record's `extra`, becomes a column. */
function toBatch(rows: Row[]): RewardBatch {
  const columns: Record<string, unknown[]> = {};
  rows.forEach((row, i) => {
    const { prompt: _prompt, completion: _completion, completion_ids: _ids, extra, ...rest } = row;
    const fields = { ...(isObject(extra) ? extra : extra === undefined ? {} : { extra }), ...rest };
    for (const [key, value] of Object.entries(fields)) (columns[key] ??= new Array(rows.length).fill(undefined))[i] = value;
  });
  const ids = rows.map((row) => row.completion_ids);
  return {
    prompts: rows.map((row) => (typeof row.prompt === 'string' || isChatMessages(row.prompt) ? row.prompt : '')),
    completions: rows.map((row) => row.completion as string),
    completionIds: ids.every(isIdList) ? (ids as number[][]) : undefined,
    columns,
  };
}

function isObject(value: unknown): value is Row {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isIdList(value: unknown): value is number[] {
  return Array.isArray(value) && value.every((id) => Number.isInteger(id));
}
