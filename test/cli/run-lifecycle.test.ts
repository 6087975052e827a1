import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { tinyModelDir, writeYamlConfig } from '../helpers/tiny-model-dir.js';
import { REPO_ROOT } from '../helpers/temp-project.js';

const BIN = join(REPO_ROOT, 'core/bin/aligntune.js');

interface BinResult {
  code: number | null;
  stderr: string;
}

/**
 * `node core/bin/aligntune.js ...` as a process (as `node node_modules/.bin/aligntune` runs it, without npx in
 * between). `signal` is sent once stderr matches `signalWhen`.
 */
function runBin(args: string[], options: { signal?: NodeJS.Signals; signalWhen?: RegExp } = {}): Promise<BinResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    let signalled = false;
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      if (options.signal && !signalled && options.signalWhen!.test(stderr)) {
        signalled = true;
        child.kill(options.signal);
      }
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

let dir: string;
let model: string;

/** A tiny SFT config over examples/data/sft.jsonl writing to `<dir>/<out>`; returns the file. */
function writeConfig(name: string, out: string, train: Record<string, unknown>): string {
  const config = {
    algo: 'sft',
    model: { name_or_path: model },
    datasets: [{ name: join(REPO_ROOT, 'examples/data/sft.jsonl'), max_samples: 16 }],
    train: { per_device_batch_size: 2, max_length: 48, max_prompt_length: 24, learning_rate: 1e-2, logging_steps: 1, save_interval: 0, ...train },
    logging: { output_dir: join(dir, out) },
    caching: { enabled: false },
  };
  return writeYamlConfig(dir, name, config);
}

const metricSteps = (out: string) => readFileSync(join(dir, out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((line) => (JSON.parse(line) as { step: number }).step);

beforeAll(async () => {
  ({ dir, model } = await tinyModelDir('aligntune-lifecycle-'));
});

describe('aligntune train into an output_dir that already holds a run', () => {
  it('refuses with exit 2 naming the directory and both ways out, touching nothing; --overwrite-output-dir starts afresh', async () => {
    const first = await runBin(['train', '--config', writeConfig('first', 'out', { max_steps: 4, save_interval: 2 })]);
    expect(first.code, first.stderr).toBe(0);
    const metricsBefore = readFileSync(join(dir, 'out/metrics.jsonl'), 'utf8');
    const logBefore = readFileSync(join(dir, 'out/logs/run.log'), 'utf8');

    const again = writeConfig('again', 'out', { max_steps: 2 });
    const refused = await runBin(['train', '--config', again]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`${join(dir, 'out')} already holds a run (final/, checkpoints/, metrics.jsonl)`);
    expect(refused.stderr).toContain('train.resume_from_checkpoint: latest');
    expect(refused.stderr).toContain('--overwrite-output-dir (logging.overwrite_output_dir: true)');
    expect(readFileSync(join(dir, 'out/metrics.jsonl'), 'utf8')).toBe(metricsBefore);
    expect(readFileSync(join(dir, 'out/logs/run.log'), 'utf8')).toBe(logBefore);
    expect(readdirSync(join(dir, 'out/checkpoints'))).toEqual(['step-2']);

    // overwriting removes the whole directory: not with the config file in it
    const inside = join(dir, 'out/again.yaml');
    writeFileSync(inside, readFileSync(again));
    const keepsConfig = await runBin(['train', '--config', inside, '--overwrite-output-dir']);
    expect(keepsConfig.code).toBe(2);
    expect(keepsConfig.stderr).toContain(`logging.overwrite_output_dir: --config (${inside}) lies inside ${join(dir, 'out')}, which would be removed`);

    const overwritten = await runBin(['train', '--config', again, '--overwrite-output-dir']);
    expect(overwritten.code, overwritten.stderr).toBe(0);
    expect(overwritten.stderr).toContain(`logging.overwrite_output_dir: removed the previous run in ${join(dir, 'out')}`);
    expect(metricSteps('out')).toEqual([1, 2]); // nothing of the 4-step run is left to mix with
    expect(readdirSync(join(dir, 'out')).sort()).toEqual(['config.resolved.yaml', 'final', 'hparams.json', 'logs', 'metrics.jsonl']);
    expect(readFileSync(join(dir, 'out/logs/run.log'), 'utf8')).not.toContain(logBefore.split('\n')[0]);
    expect(readdirSync(dir).filter((name) => name.startsWith('.'))).toEqual([]); // the moved-aside copy is gone
  });

  it('logging.overwrite_output_dir: true in the config does the same', async () => {
    const config = writeConfig('cfg-first', 'cfg-out', { max_steps: 3 });
    expect((await runBin(['train', '--config', config])).code).toBe(0);
    const result = await runBin(['train', '--config', config, '--set', 'logging.overwrite_output_dir=true', '--max-steps', '1']);
    expect(result.code, result.stderr).toBe(0);
    expect(metricSteps('cfg-out')).toEqual([1]);
  });
});

describe('aligntune train stopped by a signal, run as node node_modules/.bin/aligntune (no npx)', () => {
  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)('%s exits %i after saving the checkpoint', async (signal, code) => {
    const out = `stopped-${signal}`;
    const result = await runBin(['train', '--config', writeConfig(out, out, { max_steps: 100000 })], { signal, signalWhen: /step 2\/100000/ });
    expect(result.code, result.stderr).toBe(code);
    const checkpoints = readdirSync(join(dir, out, 'checkpoints'));
    expect(checkpoints).toHaveLength(1);
    expect(result.stderr).toContain(`saved checkpoint ${join(dir, out, 'checkpoints', checkpoints[0]!)}`);
    expect(existsSync(join(dir, out, 'final'))).toBe(false);
  });
});

describe('aligntune train user errors and the run log', () => {
  it('resume_from_checkpoint: latest with no checkpoint exits 2 naming the output dir, and the error is in logs/run.log', async () => {
    const result = await runBin(['train', '--config', writeConfig('no-ckpt', 'no-ckpt', { max_steps: 2, resume_from_checkpoint: 'latest' })]);
    expect(result.code).toBe(2);
    const message = `train.resume_from_checkpoint: latest: no checkpoint to resume in ${join(dir, 'no-ckpt')}`;
    expect(result.stderr).toContain(`error: ${message}`);
    const log = readFileSync(join(dir, 'no-ckpt/logs/run.log'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { level: string; message: string });
    expect(log.at(-1)).toMatchObject({ level: 'error', message: expect.stringContaining(message) });
    expect(result.stderr.match(/no checkpoint to resume/g)).toHaveLength(1); // the run-log copy is not printed again
  });
});

describe('aligntune train console output', () => {
  // one run without eval rows but with eval_interval, logging every 2 steps; one with eval rows, logging every step
  let windowed: BinResult;
  let everyStep: BinResult;
  beforeAll(async () => {
    windowed = await runBin(['train', '--config', writeConfig('windowed', 'windowed', { max_steps: 4, logging_steps: 2, eval_interval: 1 })]);
    everyStep = await runBin(['train', '--config', writeConfig('every-step', 'every-step', { max_steps: 3, eval_interval: 2, eval_fraction: 0.25 })]);
    expect(windowed.code, windowed.stderr).toBe(0);
    expect(everyStep.code, everyStep.stderr).toBe(0);
  });

  it('eval_interval without eval rows warns once, saying how to give eval data', () => {
    const warnings = windowed.stderr.split('\n').filter((line) => line.includes('eval_interval'));
    expect(warnings).toEqual([expect.stringMatching(/^warn: train\.eval_interval: 1 has no eval rows.*eval_split.*train\.eval_fraction/)]);
    expect(everyStep.stderr).not.toContain('has no eval rows');
  });

  it('shows the logged (window-mean) loss of metrics.jsonl and ends with the total time', () => {
    const rows = readFileSync(join(dir, 'windowed/metrics.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { step: number; loss: number });
    const lines = windowed.stderr.split('\n').filter((line) => line.startsWith('step '));
    expect(lines.map((line) => line.split(' tok/s')[0]!.replace(/ \d+$/, ''))).toEqual(rows.map((row) => `step ${row.step}/4 loss ${row.loss.toFixed(4)}`));
    expect(windowed.stderr.trim().split('\n').at(-1)).toMatch(/^finished at step 4 after \d+(m\d\ds|s)$/);
  });

  it('gives no ETA before a step after the first (warm-up) one is timed', () => {
    const etas = everyStep.stderr.split('\n').filter((line) => line.startsWith('step ')).map((line) => line.split('ETA ')[1]);
    expect(etas).toHaveLength(3);
    expect(etas[0]).toBe('-');
    expect(etas.slice(1).every((eta) => eta !== '-')).toBe(true);
  });
});
