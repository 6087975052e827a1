// `npm run demo`: a real SFT → GRPO run on CPU (about a minute on 2 cores), offline, through the aligntune CLI.
//
//   1. data: single-digit sums, 80 to train on, 20 held out; SFT rows from a teacher who says "idk" half the time
//   2. aligntune model init: a random-init tiny GPT-2 with a small built-in tokenizer (digits are single tokens)
//   3. aligntune train --config configs/sft-demo.yaml
//   4. aligntune evaluate: greedy held-out accuracy of the random-init and the SFT model (math reward)
//   5. aligntune train --config configs/grpo-demo.yaml: GRPO with the math reward, from the SFT model
//   6. aligntune evaluate: the GRPO model; then aligntune report for both runs, and a summary
//
// Everything is written under ./demo-output of the working directory (the configs' relative paths).
// `--quick` cuts the training steps (the test's smoke run); the numbers it prints then mean nothing.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Tokenizer } from '@aligntune/core/models';
import { buildTinyChatTokenizerFiles } from '@aligntune/core/testing';
import { writeDemoData } from './arithmetic.mjs';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const OUT = 'demo-output';
const HELD_OUT = 20;
const DATA_SEED = 7;
const MODEL_SEED = 0;
const QUICK_STEPS = { sft: 30, grpo: 3 };

const quick = process.argv.includes('--quick');
const started = Date.now();

/**
 * Runs `aligntune <args>` as a user would. Plugins are discovered from this repository's package.json whatever the
 * working directory (the test runs the demo elsewhere). Progress goes to the terminal; a captured command's stdout is
 * returned and its info lines are silenced (--quiet), since the demo prints what it read from it.
 */
function aligntune(args, { capture = false } = {}) {
  const argv = [join(REPO, 'core/bin/aligntune.js'), '--project', REPO, ...(capture ? ['--quiet'] : []), ...args];
  try {
    return execFileSync(process.execPath, argv, { stdio: ['ignore', capture ? 'pipe' : 'inherit', 'inherit'], encoding: 'utf8' });
  } catch (error) {
    console.error(`\ndemo: \`aligntune ${args.join(' ')}\` failed (exit code ${error.status ?? 'none'})`);
    process.exit(error.status || 1);
  }
}

function stage(title) {
  console.log(`\n== ${title}`);
}

async function prepare() {
  stage(`data and model under ./${OUT}`);
  rmSync(OUT, { recursive: true, force: true });
  const { train, test } = writeDemoData(join(OUT, 'data'), { heldOut: HELD_OUT, seed: DATA_SEED });
  console.log(`${train.length} sums to train on (SFT: ${train.length * 2} rows, half of them "idk"), ${test.length} held out: ${test.map((p) => p.prompt).join(' ')}`);
  // core's small built-in BPE (a few hundred tokens, digits among them): GPT-2's 50,257 would make the model mostly embeddings
  const tokenizerDir = join(OUT, 'tokenizer');
  mkdirSync(tokenizerDir, { recursive: true });
  await new Tokenizer(buildTinyChatTokenizerFiles(), 'tiny-chat').save(tokenizerDir);
  aligntune(['model', 'init', '--arch', 'gpt2', '--preset', 'tiny', '--tokenizer', tokenizerDir, '--seed', String(MODEL_SEED), '--out', join(OUT, 'models/base')]);
}

/** `aligntune train`; returns its wall time in seconds. */
function train(algo) {
  stage(`${algo.toUpperCase()}: aligntune train --config configs/${algo}-demo.yaml`);
  const t0 = Date.now();
  aligntune(['train', '--config', join(REPO, `configs/${algo}-demo.yaml`), ...(quick ? ['--max-steps', String(QUICK_STEPS[algo])] : [])]);
  return (Date.now() - t0) / 1000;
}

/** Greedy accuracy on the held-out sums, from `aligntune evaluate --json` (the math reward decides). */
function heldOutAccuracy(modelDir) {
  const output = aligntune(['evaluate', '--model', modelDir, '--config', join(REPO, 'configs/grpo-demo.yaml'), '--json'], { capture: true });
  const [dataset] = JSON.parse(output).datasets;
  return dataset.metrics.accuracy;
}

/** The one place the HTML report is written: `aligntune report <run dir>` prints the file's absolute path. */
function report(runDir) {
  return relative(process.cwd(), aligntune(['report', runDir], { capture: true }).trim());
}

/** First and last logged GRPO reward: the mean math reward of the completions sampled in a logging window (5 steps). */
function rewardTrend(runDir) {
  const rows = readFileSync(join(runDir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line));
  const rewards = rows.filter((r) => typeof r.reward === 'number').map((r) => r.reward);
  return { first: rewards[0], last: rewards.at(-1) };
}

const pct = (x) => `${(100 * x).toFixed(0).padStart(3)}%`;
const secs = (s) => `${Math.round(s)} s`;

await prepare();
const sftSeconds = train('sft');
stage('held-out accuracy before GRPO: aligntune evaluate --config configs/grpo-demo.yaml');
const base = heldOutAccuracy(join(OUT, 'models/base'));
const sft = heldOutAccuracy(join(OUT, 'sft/final'));
console.log(`random init ${pct(base)}, after SFT ${pct(sft)}`);
const grpoSeconds = train('grpo');
const grpo = heldOutAccuracy(join(OUT, 'grpo/final'));
const reports = [report(join(OUT, 'sft')), report(join(OUT, 'grpo'))];
const reward = rewardTrend(join(OUT, 'grpo'));

stage(`summary${quick ? ' (--quick: too few steps to mean anything)' : ''}`);
console.log(`held-out accuracy on ${HELD_OUT} sums never trained on (greedy decoding, math reward):`);
console.log(`  random init  ${pct(base)}`);
console.log(`  after SFT    ${pct(sft)}   (${secs(sftSeconds)})`);
console.log(`  after GRPO   ${pct(grpo)}   (${secs(grpoSeconds)}; reward of its samples ${reward.first.toFixed(2)} -> ${reward.last.toFixed(2)})`);
console.log('(SFT copies the teacher, "idk" half the time included; GRPO\'s math reward drops the "idk", then sharpens the sums)');
console.log(`final model: ${join(OUT, 'grpo/final')}`);
console.log(`reports:     ${reports.join('\n             ')}`);
console.log(`total time:  ${secs((Date.now() - started) / 1000)}`);
