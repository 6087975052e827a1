import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readSafetensors, Tokenizer, type HfModelConfig, type StoredTensor } from '@aligntune/core';
import { buildTinyChatTokenizerFiles } from '@aligntune/core/testing';
import { stringify } from 'yaml';
import { writeDemoData, type SumProblem } from '../../examples/demo/arithmetic.mjs';
import { cli, type CliResult } from './run-cli.js';
import { readModelConfig } from '../models/model-types.js';
import { completionLogps } from '../training/reference-losses.js';
import { readMetrics } from '../training/helpers.js';

export interface SumsLearning {
  /** Mean NLL of the held-out sums' answers (+ EOS) under the float64 reference, before and after SFT. */
  readonly nllBefore: number;
  readonly nllAfter: number;
  /** metrics.jsonl of the run. */
  readonly logged: Array<Record<string, number>>;
  /** The logged training losses, first to last. */
  readonly losses: number[];
  readonly config: HfModelConfig;
}

/** The demo's sums and tokenizer under `dir`, and a tiny `arch` model (initTinyModel) in `<dir>/model`. */
export async function prepareSums(dir: string, arch: string, configJson: Record<string, unknown> = {}): Promise<{ model: string; tokenizer: Tokenizer; test: SumProblem[] }> {
  const { test } = writeDemoData(join(dir, 'data'), { heldOut: 20, seed: 7 });
  const tokenizer = new Tokenizer(buildTinyChatTokenizerFiles(), 'tiny-chat');
  await tokenizer.save(join(dir, 'tokenizer'));
  const model = join(dir, 'model');
  await initTinyModel(model, arch, join(dir, 'tokenizer'), { configJson });
  return { model, tokenizer, test };
}

/**
 * `aligntune model init --arch <arch> --preset tiny --tokenizer <tokenizerDir>` into `model` (seed 0 unless given),
 * with `configJson` merged into its config.json (what a user edits there).
 */
export async function initTinyModel(model: string, arch: string, tokenizerDir: string, options: { seed?: number; configJson?: Record<string, unknown> } = {}): Promise<void> {
  expectOk(await cli('model', 'init', '--arch', arch, '--preset', 'tiny', '--tokenizer', tokenizerDir, '--seed', String(options.seed ?? 0), '--out', model));
  const configFile = join(model, 'config.json');
  writeFileSync(configFile, JSON.stringify({ ...JSON.parse(readFileSync(configFile, 'utf8')), ...options.configJson }, null, 2));
}

/** An SFT run config on the sums (`<dir>/sft.yaml`, output `<dir>/out`); `train` overrides its train section. */
export function sumsSftConfig(dir: string, model: string, steps: number, train: Record<string, unknown> = {}): string {
  const defaults = { per_device_batch_size: 16, learning_rate: 3e-3, lr_scheduler: 'constant', max_length: 16, max_prompt_length: 8, save_interval: 0, seed: 1 };
  const config = { algo: 'sft', model: { name_or_path: model }, datasets: [{ name: join(dir, 'data/sft.jsonl') }], train: { ...defaults, ...train, max_steps: steps, warmup_steps: 2, logging_steps: 5 }, logging: { output_dir: join(dir, 'out'), level: 'warn' }, caching: { enabled: false } };
  writeFileSync(join(dir, 'sft.yaml'), stringify(config));
  return join(dir, 'sft.yaml');
}

/**
 * The demo's learning check for any architecture, through the CLI: prepareSums, `aligntune train` SFT on the
 * sums (`train` overrides the run's train section), and the held-out answers' NLL measured by the float64 reference
 * before and after.
 */
export async function learnSums(dir: string, arch: string, options: { steps: number; configJson?: Record<string, unknown>; train?: Record<string, unknown> }): Promise<SumsLearning> {
  const { model, tokenizer, test } = await prepareSums(dir, arch, options.configJson);
  expectOk(await cli('train', '--config', sumsSftConfig(dir, model, options.steps, options.train)));
  const config = await readModelConfig(model);
  const answers = test.map((p) => ({ prompt: tokenizer.encode(p.prompt), completion: [...tokenizer.encode(p.answer, { addSpecialTokens: false }), tokenizer.eosTokenId!] }));
  // the answers' token-mean NLL alone (no auxiliary loss: that trains the router, it does not measure answers)
  const tokens = answers.reduce((n, a) => n + a.completion.length, 0);
  const nll = (tensors: Map<string, StoredTensor>) => -completionLogps(config, weightsOf(tensors), answers).reduce((a, b) => a + b, 0) / tokens;
  const logged = readMetrics(join(dir, 'out/metrics.jsonl'));
  return {
    nllBefore: nll((await readSafetensors(join(model, 'model.safetensors'))).tensors),
    nllAfter: nll((await readSafetensors(join(dir, 'out/final/model.safetensors'))).tensors),
    logged,
    losses: logged.filter((r) => 'loss' in r).map((r) => r.loss!),
    config,
  };
}

function weightsOf(tensors: Map<string, StoredTensor>): Map<string, Float32Array> {
  return new Map([...tensors].map(([n, t]) => [n, t.data as Float32Array]));
}

function expectOk(run: CliResult): void {
  if (run.code !== 0) throw new Error(`aligntune exited ${run.code}: ${run.stderr}`);
}
