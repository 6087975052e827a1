import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import { Tokenizer } from '@aligntune/core';
import { buildTinyChatTokenizerFiles } from '@aligntune/core/testing';
import { writeDemoData } from '../../examples/demo/arithmetic.mjs';
import { cli } from './run-cli.js';

const ROOT = resolve(import.meta.dirname, '../..');

export interface SumsLearning {
  /** Logged training losses, first to last. */
  readonly losses: number[];
  /** Held-out sums' completion loss at the end (`eval/loss`). */
  readonly evalLoss: number;
}

/**
 * The demo's first stage through the CLI for a model type: `aligntune model init --arch <type> --preset tiny` with
 * the tiny chat tokenizer, then `aligntune train` with configs/sft-demo.yaml (single-digit sums, completion-only
 * loss) cut to `steps`, the demo's held-out sums as the eval split. Throws with the CLI's stderr when a command fails.
 */
export async function learnSums(dir: string, modelType: string, steps: number): Promise<SumsLearning> {
  const tokenizerDir = join(dir, 'tokenizer');
  await new Tokenizer(buildTinyChatTokenizerFiles(), 'tiny-chat').save(tokenizerDir);
  const model = join(dir, 'model');
  await run('model', 'init', '--arch', modelType, '--preset', 'tiny', '--tokenizer', tokenizerDir, '--seed', '0', '--out', model);
  const data = join(dir, 'data');
  const { test } = writeDemoData(data, { heldOut: 20, seed: 7 });
  writeFileSync(join(data, 'test.jsonl'), test.map((p) => JSON.stringify({ prompt: p.prompt, completion: p.answer })).join('\n') + '\n');
  writeFileSync(join(data, 'train.jsonl'), readFileSync(join(data, 'sft.jsonl')));
  const config = parse(readFileSync(join(ROOT, 'configs/sft-demo.yaml'), 'utf8')) as Record<string, Record<string, unknown>>;
  config.model!.name_or_path = model;
  (config as Record<string, unknown>).datasets = [{ name: data, eval_split: 'test' }];
  config.train = { ...config.train, max_steps: steps, warmup_steps: 2, logging_steps: 5, eval_interval: steps };
  config.logging = { ...config.logging, output_dir: join(dir, 'out'), level: 'warn' };
  const file = join(dir, 'sft.yaml');
  writeFileSync(file, stringify(config));
  await run('train', '--config', file);
  const rows = readFileSync(join(dir, 'out/metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>);
  return { losses: rows.filter((r) => 'loss' in r).map((r) => r.loss!), evalLoss: rows.find((r) => 'eval/loss' in r)!['eval/loss']! };
}

async function run(...argv: string[]): Promise<void> {
  const result = await cli(...argv);
  if (result.code !== 0) throw new Error(`aligntune ${argv.join(' ')} exited ${result.code}: ${result.stderr}`);
}
