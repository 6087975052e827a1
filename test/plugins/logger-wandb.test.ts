import 'reflect-metadata';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Kernel, MetricTable, RunInfo } from '@aligntune/core';
import { startTestKernel } from '@aligntune/core/testing';
import { WandbLogger } from '@aligntune/plugin-logger-wandb';
import { cli } from '../helpers/run-cli.js';
import { createTrainer, readMetrics, runConfig, tempDir, writeJsonl, writeTinyModel } from '../training/helpers.js';
import { sftRows } from '../training/synthetic.js';
import { FakeWandb } from './fake-wandb.js';

const API_KEY = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4';
const SECRETS = [API_KEY, Buffer.from(`api:${API_KEY}`).toString('base64')];
const ENV = ['WANDB_API_KEY', 'WANDB_BASE_URL', 'WANDB_PROJECT', 'WANDB_ENTITY', 'WANDB_MODE', 'WANDB_RUN_ID'];
const TUNING = { ALIGNTUNE_WANDB_RETRY_MS: '5', ALIGNTUNE_WANDB_MAX_ATTEMPTS: '3', ALIGNTUNE_WANDB_WAIT_MS: '5000', ALIGNTUNE_WANDB_INTERVAL_MS: '10', ALIGNTUNE_WANDB_QUEUE_BYTES: undefined };

class Recorder {
  readonly lines: string[] = [];
  info = (message: string) => void this.lines.push(`info: ${message}`);
  warn = (message: string) => void this.lines.push(`warn: ${message}`);
  debug = (message: string) => void this.lines.push(`debug: ${message}`);
  error = (message: string) => void this.lines.push(`error: ${message}`);
  warnings = () => this.lines.filter((line) => line.startsWith('warn: '));
}

let server: FakeWandb;
let fixture: { model: string; data: string } | undefined;
let savedEnv: Record<string, string | undefined>;

beforeEach(async () => {
  savedEnv = Object.fromEntries([...ENV, ...Object.keys(TUNING)].map((name) => [name, process.env[name]]));
  server = new FakeWandb(API_KEY);
  setEnv({ WANDB_API_KEY: API_KEY, WANDB_BASE_URL: await server.start(), WANDB_PROJECT: 'tiny', WANDB_ENTITY: undefined, WANDB_MODE: undefined, WANDB_RUN_ID: undefined, ...TUNING });
});

afterEach(async () => {
  fixture = undefined; // its directory is removed after each test
  await server.stop();
  setEnv(savedEnv);
});

function setEnv(values: Record<string, string | undefined>): void {
  for (const [name, value] of Object.entries(values)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
}

/** The plugins a tiny SFT run needs, plus the W&B logger, with a logger that records what the run says. */
function wandbKernel(logger: Recorder): Kernel {
  const plugins = ['adapters-builtin', 'loader-local', 'backend-onnxruntime', 'distributed-single', 'arch-gpt2', 'algo-sft', 'logger-wandb'];
  return startTestKernel({ logger, plugins: plugins.map((id) => `@aligntune/plugin-${id}`) }).kernel;
}

function completions(step: number): MetricTable {
  return { columns: ['step', 'prompt', 'completion', 'reward'], rows: [[step, 'tell me about sun', 'yes sun moon', 0.5], [step, 'tell me about rain', 'no', null]] };
}

interface Run {
  out: string;
  logs: Recorder;
  /** From the last step to train() returning: saving the final model and closing the loggers. */
  tailSeconds: number;
}

/**
 * A tiny SFT run (3 steps, eval at steps 2 and 3) logging to wandb; every step also logs a completions table,
 * as the online algorithms do. `stopAt` interrupts it there (a checkpoint is saved) so it can be resumed.
 */
async function trainSft(out: string, options: { train?: Record<string, unknown>; stopAt?: number; onStep?: (step: number) => void } = {}): Promise<Run> {
  if (!fixture) {
    const dir = tempDir('aligntune-wandb-');
    fixture = { model: join(dir, 'model'), data: writeJsonl(join(dir, 'data.jsonl'), sftRows(8, 9)) };
    await writeTinyModel(fixture.model, 'gpt2', { weights: 'init', seed: 2 });
  }
  const logs = new Recorder();
  const train = { per_device_batch_size: 2, max_steps: 3, eval_fraction: 0.25, eval_interval: 2, ...options.train };
  const config = runConfig('sft', fixture.model, fixture.data, out, train, { logging: { output_dir: out, loggers: ['wandb'], run_name: 'tiny-sft' } });
  const trainer = await createTrainer(config, wandbKernel(logs));
  trainer.hooks.onStep = (step) => {
    trainer['sinks'].logTable(step, 'completions', completions(step));
    if (step === options.stopAt) trainer.signals.requestStop('SIGINT');
    options.onStep?.(step);
    lastStep = performance.now();
  };
  let lastStep = 0;
  await trainer.train();
  return { out, logs, tailSeconds: (performance.now() - lastStep) / 1000 };
}

function runInfo(outputDir: string): RunInfo {
  return { runName: 'direct', outputDir, algo: 'sft', config: { algo: 'sft', train: { max_steps: 8 } }, resumed: false, startStep: 0 };
}

/** The one local run directory under `<out>/wandb`. */
function localRunDir(out: string): string {
  const dirs = readdirSync(join(out, 'wandb')).filter((name) => /^(offline-)?run-\d/.test(name));
  expect(dirs).toHaveLength(1);
  return join(out, 'wandb', dirs[0]!);
}

function readJson(path: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => (statSync(join(dir, name)).isDirectory() ? filesUnder(join(dir, name)) : [join(dir, name)]));
}

/** Neither the key nor its Basic-auth form is in any file of the run or in anything printed. */
function expectNoSecret(out: string, printed: readonly string[]): void {
  for (const file of filesUnder(out)) {
    const text = readFileSync(file).toString('latin1');
    for (const secret of SECRETS) expect(text.includes(secret), file).toBe(false);
  }
  for (const secret of SECRETS) expect(printed.join('\n')).not.toContain(secret);
}

/** The server got every metrics.jsonl row (train and eval rows of a step merged into one history row). */
function expectHistoryMatchesMetrics(out: string): void {
  const metrics = readMetrics(join(out, 'metrics.jsonl'));
  const history = server.historyRows();
  expect(history.map((row) => row._step)).toEqual([...new Set(metrics.map((row) => row.step))]);
  for (const { step, ...values } of metrics) expect(history.find((row) => row._step === step)).toMatchObject(values);
}

describe('wandb logger', () => {
  it('streams a training run: config, history matching metrics.jsonl, a completions table, summary, complete', async () => {
    const out = join(tempDir('aligntune-wandb-'), 'out');
    const { logs } = await trainSft(out);
    const run = server.run();
    const id = readFileSync(join(out, 'wandb/run-id'), 'utf8').trim();
    expect(run).toMatchObject({ entity: 'test-entity', project: 'tiny', name: id, displayName: 'tiny-sft', complete: true, exitcode: 0 });
    expect(run.config?.algo).toEqual({ value: 'sft', desc: null });
    expect(run.config?.train?.value).toMatchObject({ max_steps: 3, per_device_batch_size: 2 });
    expect(run.config?.logging?.value).toMatchObject({ loggers: ['wandb'] });

    expectHistoryMatchesMetrics(out);
    const history = server.historyRows();
    for (const row of history) {
      expect(row._runtime).toBeGreaterThanOrEqual(0);
      expect(Math.abs((row._timestamp as number) - Date.now() / 1000)).toBeLessThan(600);
    }
    expect(run.historyOffsets[0]).toBe(0);

    const table = history[0]!.completions as Record<string, unknown>;
    expect(table).toMatchObject({ _type: 'table-file', ncols: 4, nrows: 2 });
    const content = run.files.get(table.path as string)!;
    expect(JSON.parse(content)).toEqual({ columns: completions(1).columns, data: completions(1).rows });
    expect(table.sha256).toBe(createHash('sha256').update(content).digest('hex'));
    expect(table.size).toBe(Buffer.byteLength(content));
    expect(table.path).toMatch(/^media\/table\/completions_1_[0-9a-f]{20}\.table\.json$/);
    expect(run.uploaded.has(table.path as string)).toBe(true);

    const summary = JSON.parse(run.summary!) as Record<string, unknown>;
    const last = readMetrics(join(out, 'metrics.jsonl')).filter((row) => 'loss' in row).at(-1)!;
    expect(summary).toMatchObject({ _step: 3, loss: last.loss, epoch: last.epoch });
    expect(summary['eval/loss']).toEqual(expect.any(Number));

    const api = server.requests.filter((r) => !r.path.startsWith('/upload/'));
    expect(api.every((r) => r.authorization === server.authorization)).toBe(true);
    const uploads = server.requests.filter((r) => r.path.startsWith('/upload/'));
    expect(uploads.length).toBeGreaterThan(0);
    for (const upload of uploads) expect(upload).toMatchObject({ method: 'PUT', authorization: undefined, headers: { 'x-upload-check': 'signed' } });

    expect(logs.lines).toContain(`info: W&B run: ${server.endpoint}/test-entity/tiny/runs/${id}`);
    expect(logs.warnings()).toEqual([]);
    const local = localRunDir(out);
    expect(local).toMatch(new RegExp(`/run-\\d{8}_\\d{6}-${id}$`));
    expect(readJson(join(local, 'sync.json'))).toMatchObject({ history_acked: 3, complete_acked: true });
    expectNoSecret(out, logs.lines);
  });

  it('retries 5xx and 429 answers with backoff and loses nothing', async () => {
    // training and the fake server share one event loop, so all five failures may well meet the same request
    setEnv({ ALIGNTUNE_WANDB_MAX_ATTEMPTS: '6' });
    server.failNext(2, 500);
    server.failNext(1, 429, { retryAfter: '0' });
    const out = join(tempDir('aligntune-wandb-'), 'out');
    const { logs } = await trainSft(out, { train: { max_steps: 4 }, onStep: (step) => step === 2 && server.failNext(2, 503) });
    expect(server.requests.filter((r) => r.status >= 500).length).toBe(4);
    expect(server.requests.filter((r) => r.status === 429).length).toBe(1);
    expectHistoryMatchesMetrics(out);
    expect(server.run().complete).toBe(true);
    expect(logs.warnings()).toEqual([]);
  });

  it('keeps training when the server is down, spills to the run directory, and `aligntune wandb sync` uploads it', async () => {
    const dead = new FakeWandb(API_KEY);
    setEnv({ WANDB_BASE_URL: await dead.start() });
    await dead.stop();
    const out = join(tempDir('aligntune-wandb-'), 'out');
    const { logs, tailSeconds } = await trainSft(out);
    expect(tailSeconds).toBeLessThan(2); // one last round of (fast, test-tuned) retries at close, no more
    const local = localRunDir(out);
    const warning = logs.warnings().find((line) => line.includes('not uploaded'));
    expect(warning).toContain(`3 history rows and 3 files not uploaded`);
    expect(warning).toContain(`aligntune wandb sync ${local}`);
    expect(readFileSync(join(local, 'wandb-history.jsonl'), 'utf8').trim().split('\n')).toHaveLength(3);

    server.requests.length = 0;
    setEnv({ WANDB_BASE_URL: server.endpoint }); // overrides the (dead) server the run recorded
    const synced = await cli('wandb', 'sync', local);
    expect(synced).toMatchObject({ code: 0, stderr: '' });
    const id = readFileSync(join(out, 'wandb/run-id'), 'utf8').trim();
    expect(JSON.parse(synced.stdout)).toEqual({ logger: 'wandb', dir: local, uploaded: 3, run_id: id, url: `${server.endpoint}/test-entity/tiny/runs/${id}` });
    expectHistoryMatchesMetrics(out);
    expect(server.run()).toMatchObject({ complete: true, displayName: 'tiny-sft' });
    expect(server.run().files.size).toBe(3);
    expectNoSecret(out, [...logs.lines, synced.stdout, synced.stderr]);
  });

  it('offline mode writes a complete run directory without touching the network; `aligntune logger sync wandb` uploads it', async () => {
    setEnv({ WANDB_MODE: 'offline' });
    const out = join(tempDir('aligntune-wandb-'), 'out');
    const { logs } = await trainSft(out);
    expect(server.requests).toEqual([]);
    const local = localRunDir(out);
    const id = readFileSync(join(out, 'wandb/run-id'), 'utf8').trim();
    expect(local).toMatch(new RegExp(`/offline-run-\\d{8}_\\d{6}-${id}$`));
    expect(readJson(join(local, 'run.json'))).toMatchObject({ id, display_name: 'tiny-sft', project: 'tiny', mode: 'offline', finished: true });
    expect(readJson(join(local, 'config.json')).algo).toEqual({ value: 'sft', desc: null });
    expect(readFileSync(join(local, 'wandb-history.jsonl'), 'utf8').trim().split('\n')).toHaveLength(3);
    expect(readJson(join(local, 'wandb-summary.json'))).toMatchObject({ _step: 3 });
    expect(readdirSync(join(local, 'media/table'))).toHaveLength(3);
    expect(logs.lines.some((line) => line.startsWith('info: ') && line.includes(`aligntune wandb sync ${local}`))).toBe(true);
    expectNoSecret(out, logs.lines);

    const missing = await cli('wandb', 'sync', join(out, 'nope'));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(join(out, 'nope'));
    const notRun = await cli('wandb', 'sync', out);
    expect(notRun.code).toBe(2);
    expect(notRun.stderr).toContain(`${out} is not a W&B run directory`);
    setEnv({ WANDB_API_KEY: undefined });
    const noKey = await cli('wandb', 'sync', local);
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toContain('WANDB_API_KEY');
    setEnv({ WANDB_API_KEY: API_KEY });
    expect(server.requests).toEqual([]);

    const synced = await cli('logger', 'sync', 'wandb', local);
    expect(synced.code).toBe(0);
    expect(JSON.parse(synced.stdout)).toMatchObject({ uploaded: 3, run_id: id });
    expectHistoryMatchesMetrics(out);
    expect(server.run()).toMatchObject({ complete: true, exitcode: 0, name: id });
    expect(server.run().uploaded.size).toBe(3);
    const again = await cli('wandb', 'sync', local);
    expect(JSON.parse(again.stdout)).toMatchObject({ uploaded: 0 });
    expect(server.run().history).toHaveLength(3);
  });

  it('a resumed run appends to the same W&B run, history offsets continuing', async () => {
    const out = join(tempDir('aligntune-wandb-'), 'out');
    await trainSft(out, { train: { max_steps: 4, eval_fraction: 0 }, stopAt: 2 });
    const id = readFileSync(join(out, 'wandb/run-id'), 'utf8').trim();
    expect(server.run().history).toHaveLength(2);
    await trainSft(out, { train: { max_steps: 4, eval_fraction: 0, resume_from_checkpoint: 'latest' } });
    const run = server.run();
    expect(run.name).toBe(id);
    expect(run.upserts).toBeGreaterThanOrEqual(2);
    expect(server.historyRows().map((row) => row._step)).toEqual([1, 2, 3, 4]);
    expect(run.historyOffsets).toEqual([...run.historyOffsets].sort((a, b) => a - b));
    expect(run.historyOffsets.at(-1)).toBeGreaterThanOrEqual(2);
    expect(run.complete).toBe(true);
    expect(localRunDir(out)).toMatch(new RegExp(`-${id}$`));
    expect((server.historyRows()[3]!._runtime as number) >= (server.historyRows()[1]!._runtime as number)).toBe(true);
  });

  it('WANDB_MODE=disabled does nothing', async () => {
    setEnv({ WANDB_MODE: 'disabled' });
    const out = join(tempDir('aligntune-wandb-'), 'out');
    const { logs } = await trainSft(out, { train: { max_steps: 1 } });
    expect(server.requests).toEqual([]);
    expect(existsSync(join(out, 'wandb'))).toBe(false);
    expect(logs.warnings()).toEqual([]);
  });

  it('without WANDB_API_KEY logs offline and says how to upload', async () => {
    setEnv({ WANDB_API_KEY: undefined });
    const out = tempDir('aligntune-wandb-');
    const logs = new Recorder();
    const sink = new WandbLogger();
    await sink.open(runInfo(out), logs);
    sink.logScalars(1, { loss: 1 });
    await sink.close();
    expect(server.requests).toEqual([]);
    const local = localRunDir(out);
    expect(local).toContain('offline-run-');
    expect(logs.warnings()).toEqual([`warn: WANDB_API_KEY is not set: logging this W&B run offline to ${local}; upload it later with \`aligntune wandb sync ${local}\``]);
  });

  it('queues past its memory bound on disk during an outage and catches up in order when the server returns', async () => {
    setEnv({ ALIGNTUNE_WANDB_QUEUE_BYTES: '200' }); // about two lines
    const out = tempDir('aligntune-wandb-');
    const logs = new Recorder();
    const sink = new WandbLogger();
    server.failNext(1000, 503);
    await sink.open(runInfo(out), logs);
    sink.logHparams({ algo: 'sft', 'train.max_steps': 8, 'extra.flag': true }, { score: 0.75 });
    for (let step = 1; step <= 8; step++) sink.logScalars(step, { loss: step === 5 ? Number.NaN : 1 / step });
    sink.logText(8, 'sample', 'hello');
    await sink.flush();
    expect(server.runs.size).toBe(0);
    expect(logs.warnings()).toHaveLength(1);
    expect(logs.warnings()[0]).toMatch(/^warn: W&B unreachable \(POST .*\/graphql: HTTP 503/);
    server.recover();
    await sink.close();
    const run = server.run();
    expect(server.historyRows().map((row) => row._step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(run.history[4]).toMatch(/"loss":NaN/);
    expect(server.historyRows()[7]).toMatchObject({ loss: 1 / 8, sample: 'hello' });
    expect(run.config?.['extra.flag']).toEqual({ value: true, desc: null });
    expect(run.config?.['train.max_steps']).toBeUndefined();
    expect(JSON.parse(run.summary!)).toMatchObject({ score: 0.75, _step: 8 });
    expect(run.complete).toBe(true);
    expect(logs.lines).toContain('info: W&B: reachable again, uploading the backlog');
  });

  it('scrubs the key from errors a server echoes it in, and stops on a refusal', async () => {
    const out = tempDir('aligntune-wandb-');
    const logs = new Recorder();
    const sink = new WandbLogger();
    server.failNext(1, 400, { echoAuth: true });
    await sink.open(runInfo(out), logs);
    sink.logScalars(1, { loss: 1 });
    await sink.close();
    const [refused, unsent] = logs.warnings();
    expect(refused).toContain('W&B refused the upload');
    expect(refused).toContain('bad request from Basic ***');
    expect(unsent).toContain('1 history rows not uploaded');
    expect(server.requests).toHaveLength(1);
    expectNoSecret(out, logs.lines);
  });
});
