#!/usr/bin/env node
// Data at scale: generates an N-row dataset (preference text for DPO, prompt/completion and chat `messages`
// for SFT, prompts for GRPO; JSONL, and Parquet for DPO), then measures in fresh processes
//   first run  — read, adapt, tokenize (caching.num_proc workers), write the dataset cache, two train steps
//                on a tiny GPT-2: seconds to the first step, rows/s, peak RSS;
//   cached run — the same config again from the cache: seconds to the first step, peak RSS;
// and the cached run of a 100k-row prefix of the same data, so the RSS of 100k and N rows can be compared.
// Usage: npm run build && node bench/data-scale.mjs [--rows 1000000] [--only dpo,sft,sft-chat,grpo]
//          [--num-proc 1,2] [--dir /tmp/aligntune-data-bench] [--json]
import { execFileSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { fileWriter, ParquetWriter, schemaFromColumnData } from 'hyparquet-writer';

const { values: args } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    only: { type: 'string', default: 'dpo,dpo-parquet,sft,sft-chat,grpo' },
    'num-proc': { type: 'string', default: '1,2' },
    small: { type: 'string', default: '100000' },
    dir: { type: 'string', default: join(tmpdir(), 'aligntune-data-bench') },
    json: { type: 'boolean', default: false },
  },
});
const ROWS = Number(args.rows);
const SMALL = Number(args.small);
const dir = args.dir;
const here = import.meta.dirname;
mkdirSync(dir, { recursive: true });

/** Deterministic filler text (an LCG over a small vocabulary): `words` words. */
function textMaker(seed) {
  const vocab = 'the a of to and in is it you that he was for on are with as his they be at one have this from or had by word but what some we can out other were all there when up use your how said an each she which do their time if will way about many then them write would like so these her long make thing see him two has look more day could go come did number sound no most people my over know water than call first who may down side been now find'.split(' ');
  let state = seed >>> 0;
  return (words) => {
    const out = [];
    for (let i = 0; i < words; i++) {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      out.push(vocab[state % vocab.length]);
    }
    return out.join(' ');
  };
}

/** Row makers: about 320 bytes of JSON per preference row (the 1M rows ≈ 320 MB). */
const KINDS = {
  dpo: { algo: 'dpo', row: (t, i) => ({ prompt: `Question ${i}: ${t(19)}?`, chosen: t(21), rejected: t(19) }) },
  sft: { algo: 'sft', row: (t, i) => ({ prompt: `Question ${i}: ${t(19)}?`, completion: t(40) }) },
  'sft-chat': { algo: 'sft', row: (t, i) => ({ messages: [{ role: 'user', content: `Question ${i}: ${t(19)}?` }, { role: 'assistant', content: t(34) }] }) },
  grpo: { algo: 'grpo', row: (t, i) => ({ prompt: `Question ${i}: ${t(50)}?` }) },
};

async function writeJsonl(path, kind, rows) {
  if (existsSync(path)) return;
  const make = KINDS[kind].row;
  const t = textMaker(7);
  const out = createWriteStream(`${path}.tmp`);
  for (let i = 0; i < rows; i++) if (!out.write(`${JSON.stringify(make(t, i))}\n`)) await once(out, 'drain');
  out.end();
  await once(out, 'finish');
  execFileSync('mv', [`${path}.tmp`, path]);
}

/** The preference rows as Parquet, written in row groups of 50,000 (the writer never holds the file). */
function writeParquet(path, rows) {
  if (existsSync(path)) return;
  const t = textMaker(7);
  const group = 50_000;
  const columns = (n, at) => {
    const batch = Array.from({ length: n }, (_, k) => KINDS.dpo.row(t, at + k));
    return ['prompt', 'chosen', 'rejected'].map((name) => ({ name, data: batch.map((r) => r[name]), type: 'STRING' }));
  };
  const writer = new ParquetWriter({ writer: fileWriter(`${path}.tmp`), schema: schemaFromColumnData({ columnData: columns(1, 0) }) });
  for (let at = 0; at < rows; at += group) writer.write({ columnData: columns(Math.min(group, rows - at), at), rowGroupSize: group });
  writer.finish();
  execFileSync('mv', [`${path}.tmp`, path]);
}

function trainConfig(name, kind, data, numProc, cacheRoot) {
  const out = join(dir, 'runs', name);
  rmSync(out, { recursive: true, force: true });
  const config = {
    algo: KINDS[kind.replace('-parquet', '')].algo,
    model: { name_or_path: join(dir, 'tiny-gpt2') },
    datasets: [{ name: data }],
    train: { per_device_batch_size: 2, max_steps: 2, max_length: 64, max_prompt_length: 32, save_interval: 0, logging_steps: 1, precompute_ref_log_probs: false },
    logging: { output_dir: out, level: 'error' },
    caching: { root: cacheRoot, num_proc: numProc },
  };
  if (config.algo === 'grpo') {
    Object.assign(config.train, { num_generations: 2, per_device_batch_size: 4, max_completion_length: 4 });
    config.rewards = [{ type: 'length' }];
    delete config.train.precompute_ref_log_probs;
  }
  if (config.algo === 'sft') delete config.train.precompute_ref_log_probs;
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, stringify(config));
  return { file, metrics: join(out, 'metrics.jsonl') };
}

function measure(name, kind, data, numProc, cacheRoot) {
  const { file, metrics } = trainConfig(name, kind, data, numProc, cacheRoot);
  const out = execFileSync(process.execPath, [join(here, 'lib/measure-train.mjs'), file, metrics], { encoding: 'utf8', maxBuffer: 16 * 2 ** 20 });
  const result = JSON.parse(out.trim().split('\n').at(-1));
  if (result.code !== 0) throw new Error(`${name}: exit ${result.code}: ${result.stderr}`);
  return result;
}

const mb = (bytes) => Math.round(bytes / 2 ** 20);
if (!existsSync(join(dir, 'tiny-gpt2'))) execFileSync(process.execPath, [join(here, '../core/bin/aligntune.js'), 'model', 'init', '--arch', 'gpt2', '--preset', 'tiny', '--out', join(dir, 'tiny-gpt2')], { stdio: 'ignore' });
const results = [];
const loadBefore = loadavg()[0];
for (const kind of args.only.split(',')) {
  const base = kind.replace('-parquet', '');
  const data = (rows) => join(dir, `${base}-${rows}.${kind.endsWith('-parquet') ? 'parquet' : 'jsonl'}`);
  for (const rows of [SMALL, ROWS]) {
    if (kind.endsWith('-parquet')) writeParquet(data(rows), rows);
    else await writeJsonl(data(rows), base, rows);
  }
  const row = { kind, rows: ROWS, fileBytes: statSync(data(ROWS)).size, first: {}, cached: {} };
  for (const numProc of args['num-proc'].split(',').map(Number)) {
    const cacheRoot = join(dir, 'cache', `${kind}-${ROWS}-np${numProc}`);
    rmSync(cacheRoot, { recursive: true, force: true });
    const first = measure(`${kind}-first-np${numProc}`, kind, data(ROWS), numProc, cacheRoot);
    row.first[numProc] = { firstStepSeconds: first.firstStepSeconds, rowsPerSecond: ROWS / first.firstStepSeconds, peakRssMiB: mb(first.peakRssBytes) };
    row.cacheRoot = cacheRoot;
  }
  const cached = measure(`${kind}-cached`, kind, data(ROWS), 2, row.cacheRoot);
  row.cached[ROWS] = { firstStepSeconds: cached.firstStepSeconds, peakRssMiB: mb(cached.peakRssBytes) };
  const smallCache = join(dir, 'cache', `${kind}-${SMALL}`);
  rmSync(smallCache, { recursive: true, force: true });
  measure(`${kind}-small-first`, kind, data(SMALL), 2, smallCache);
  const small = measure(`${kind}-small-cached`, kind, data(SMALL), 2, smallCache);
  row.cached[SMALL] = { firstStepSeconds: small.firstStepSeconds, peakRssMiB: mb(small.peakRssBytes) };
  results.push(row);
  if (!args.json) console.log(JSON.stringify(row));
}
const report = { rows: ROWS, loadAverageBefore: loadBefore, loadAverageAfter: loadavg()[0], results };
console.log(JSON.stringify(report, null, args.json ? 0 : 2));
