import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeProject, REPO_ROOT } from '../helpers/temp-project.js';
import { runConfig, tempDir, writeJsonl, writeTinyModel } from '../training/helpers.js';
import { expectSameMetrics, MPI_ENV, mpiMissing, readMetrics, runAligntune, weightDifference, writeYaml, type BinRun } from './mpi-helpers.js';

/**
 * Data parallelism over Open MPI through the real CLI: `aligntune train` re-launches itself under mpirun, 2 ranks
 * with per_device_batch_size b train exactly as 1 process with 2b (weights and metrics.jsonl), under ddp and
 * deepspeed ZeRO stage 2; a resumed 2-rank run equals the uninterrupted one; ZeRO halves each rank's optimizer
 * state; a killed rank ends the job. Skipped, with the reason printed, where Open MPI is not installed.
 */
const missing = mpiMissing();
if (missing) console.warn(`skipping the Open MPI tests: ${missing}`);

/** Prompt and completion pairs of unequal lengths, so the ranks hold different token counts. */
const SFT_ROWS = [
  ['the cat sat', ' on the mat'],
  ['hello', ' world, how are you'],
  ['one two three', ' four'],
  ['a b', ' c d e f g h'],
  ['blue', ' sky'],
  ['count to five', ' one two three four five'],
  ['x', ' y'],
  ['good morning', ' to you too'],
].map(([prompt, completion]) => ({ prompt, completion }));
/** Prompt, chosen, rejected. */
const PREF_ROWS = [
  ['pick a colour', 'blue sky', 'no'],
  ['say hi', 'hi there friend', 'bye'],
  ['count', 'one two', 'three four five six'],
  ['name a fruit', 'apple', 'a car'],
  ['greet', 'hello', 'go away now please'],
  ['finish: a b', 'c', 'z z'],
  ['weather', 'sunny and warm', 'what'],
  ['yes or no', 'yes', 'maybe later on'],
].map(([prompt, chosen, rejected]) => ({ prompt, chosen, rejected }));
/** SGD with momentum (state for ZeRO to shard) and clipping (the global norm across shards): AdamW would turn float32 reduction-order noise in zero-gradient weights into full-size steps. */
const EXACT = { optimizer: 'sgd', sgd_momentum: 0.9, learning_rate: 0.1, max_grad_norm: 1, max_steps: 3, shuffle: true };
const DDP = { backend: 'ddp', gpus_per_node: 2 };
const ZERO2 = { backend: 'deepspeed', gpus_per_node: 2, deepspeed_config: { zero_optimization: { stage: 2 } } };
const ZERO1 = { ...ZERO2, deepspeed_config: { zero_optimization: { stage: 1 } } };
/** Weights and metrics of 2 ranks vs 1 process: float32 sums in another order, nothing more. */
const TOLERANCE = 1e-5;

let dir: string;
let model: string;
let sftData: string;
let dpoData: string;

/** Trains `algo` through the CLI into `<dir>/<name>`; returns the output dir and the run. */
async function train(name: string, algo: string, data: string, trainOptions: Record<string, unknown>, extra: Record<string, unknown> = {}, env?: NodeJS.ProcessEnv): Promise<{ out: string; run: BinRun }> {
  const out = join(dir, name);
  const config = writeYaml(join(dir, `${name}.yaml`), runConfig(algo, model, data, out, trainOptions, extra));
  const run = await runAligntune(['train', '--config', config], { env });
  return { out, run };
}

async function trained(...args: Parameters<typeof train>): Promise<string> {
  const { out, run } = await train(...args);
  expect(run.code, run.stderr).toBe(0);
  return out;
}

describe.skipIf(missing !== undefined)('distributed training on Open MPI (2 ranks, --oversubscribe where needed)', () => {
  // one directory for the whole file: the runs of one test compare with each other
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'aligntune-mpi-'));
    model = join(dir, 'model');
    await writeTinyModel(model, 'gpt2', { seed: 3 });
    sftData = writeJsonl(join(dir, 'sft.jsonl'), SFT_ROWS);
    dpoData = writeJsonl(join(dir, 'dpo.jsonl'), PREF_ROWS);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each([
    ['sft', () => sftData, [ZERO2, ZERO1]],
    // DPO's own part (pairs split over the ranks) is the same under ZeRO: its reduction is the one sft checks
    ['dpo', () => dpoData, []],
  ])('%s: 2 ranks × 2 rows give the weights and metrics of 1 process × 4 rows, under ddp (sft under deepspeed ZeRO stages 2 and 1 too)', async (algo, data, zeroStages) => {
    const one = await trained(`${algo}-one`, algo, data(), { ...EXACT, per_device_batch_size: 4 });
    const ddp = await train(`${algo}-ddp`, algo, data(), { ...EXACT, per_device_batch_size: 2 }, { distributed: DDP });
    expect(ddp.run.code, ddp.run.stderr).toBe(0);
    expect(ddp.run.stderr).toMatch(/starting 2 ranks: .*mpirun -np 2 .*aligntune\.js train --config/);
    const zero: string[] = [];
    for (const distributed of zeroStages) zero.push(await trained(`${algo}-zero${distributed.deepspeed_config.zero_optimization.stage}`, algo, data(), { ...EXACT, per_device_batch_size: 2 }, { distributed }));
    for (const out of [ddp.out, ...zero]) {
      expect((await weightDifference(join(one, 'final'), join(out, 'final'))).relative).toBeLessThan(TOLERANCE);
      expect(expectSameMetrics(readMetrics(one), readMetrics(out), TOLERANCE)).toEqual([]);
    }
  });

  it('ddp on the host-tensor backend (onnxruntime-node) equals one process too', async () => {
    const backend = { compute: { backend: 'cpu' } };
    const one = await trained('node-one', 'sft', sftData, { ...EXACT, per_device_batch_size: 4 }, backend);
    const ddp = await trained('node-ddp', 'sft', sftData, { ...EXACT, per_device_batch_size: 2 }, { ...backend, distributed: DDP });
    expect((await weightDifference(join(one, 'final'), join(ddp, 'final'))).relative).toBeLessThan(TOLERANCE);
    expect(expectSameMetrics(readMetrics(one), readMetrics(ddp), TOLERANCE)).toEqual([]);
  });

  it.each([
    ['ddp', DDP],
    ['deepspeed stage 2', ZERO2],
  ])('%s: a 2-rank run resumed at step 2 reproduces the uninterrupted run (AdamW state included)', async (label, distributed) => {
    const name = label.replace(/\W+/g, '-');
    const options = { per_device_batch_size: 2, learning_rate: 1e-2, max_steps: 4, save_interval: 2 };
    const whole = await train(`${name}-whole`, 'sft', sftData, options, { distributed });
    expect(whole.run.code, whole.run.stderr).toBe(0);
    const resumed = join(dir, `${name}-resumed`);
    cpSync(join(whole.out, 'checkpoints/step-2'), join(resumed, 'checkpoints/step-2'), { recursive: true });
    const again = await trained(`${name}-resumed`, 'sft', sftData, { ...options, resume_from_checkpoint: 'latest' }, { distributed });
    expect((await weightDifference(join(whole.out, 'final'), join(again, 'final'))).relative).toBeLessThan(1e-6);
    expect(expectSameMetrics(readMetrics(whole.out).slice(2), readMetrics(again), 1e-6)).toEqual([]);
    if (label === 'ddp') return;
    // ZeRO: each rank holds half of the AdamW state one process holds (the flat parameter vector cut in two)
    const shards = /optimizer state per rank (\d+) bytes, (\d+) bytes; one process would hold (\d+) bytes/.exec(whole.run.stderr);
    expect(shards, whole.run.stderr).not.toBeNull();
    const [perRank0, perRank1, single] = shards!.slice(1).map(Number);
    console.log(`deepspeed stage 2, 2 ranks: optimizer state ${perRank0} + ${perRank1} bytes; one process: ${single} bytes`);
    expect(perRank0! + perRank1!).toBe(single);
    expect(Math.abs(perRank0! - single! / 2)).toBeLessThanOrEqual(8); // one float32 element of each of the two moments
  });

  it('learns with 2 ranks under fsdp, which says it runs as ZeRO stage 2: the loss of a tiny model falls', async () => {
    const { out, run } = await train('learn', 'sft', sftData, { per_device_batch_size: 2, learning_rate: 3e-2, max_steps: 16, logging_steps: 4 }, { distributed: { backend: 'fsdp', gpus_per_node: 2 } });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain('distributed.backend fsdp runs as ZeRO stage 2');
    expect(run.stderr).toMatch(/ZeRO stage 2: optimizer state per rank \d+ bytes, \d+ bytes/);
    const losses = readMetrics(out).map((row) => row.loss!);
    expect(losses.at(-1)!).toBeLessThan(0.5 * losses[0]!);
  });

  it('a killed rank ends the whole job with a non-zero exit, the last checkpoint intact', async () => {
    let killed = false;
    const { out, run } = await (async () => {
      const out = join(dir, 'fault');
      const config = writeYaml(join(dir, 'fault.yaml'), runConfig('sft', model, sftData, out, { per_device_batch_size: 2, max_steps: 100000, save_interval: 2 }, { distributed: DDP }));
      const run = await runAligntune(['train', '--config', config], {
        onStderr: (all, pid) => {
          if (killed || !/saved checkpoint .*step-4/.test(all)) return;
          killed = true;
          const mpirun = childrenOf(pid)[0]!;
          process.kill(childrenOf(mpirun).at(-1)!, 'SIGKILL');
        },
      });
      return { out, run };
    })();
    expect(killed).toBe(true);
    expect(run.code).not.toBe(0);
    const checkpoints = readdirSync(join(out, 'checkpoints')).filter((name) => name.startsWith('step-'));
    expect(checkpoints.length).toBeGreaterThan(0);
    for (const name of checkpoints) for (const file of ['trainer_state.json', 'model.safetensors']) expect(existsSync(join(out, 'checkpoints', name, file)), `${name}/${file}`).toBe(true);
  });

  it('a stop signal to one rank stops every rank after the same step, with a complete checkpoint there', async () => {
    let signalled = false;
    const out = join(dir, 'stop');
    const config = writeYaml(join(dir, 'stop.yaml'), runConfig('sft', model, sftData, out, { per_device_batch_size: 2, max_steps: 100000 }, { distributed: DDP }));
    const run = await runAligntune(['train', '--config', config], {
      onStderr: (all, pid) => {
        if (signalled || !/step 3\//.test(all)) return;
        signalled = true;
        process.kill(childrenOf(childrenOf(pid)[0]!).at(-1)!, 'SIGTERM'); // one rank only, as a scheduler's signal may land
      },
    });
    expect(signalled).toBe(true);
    expect(run.code, run.stderr).toBe(143);
    const checkpoints = readdirSync(join(out, 'checkpoints'));
    expect(checkpoints).toHaveLength(1);
    const state = JSON.parse(readFileSync(join(out, 'checkpoints', checkpoints[0]!, 'trainer_state.json'), 'utf8')) as { global_step: number };
    expect(checkpoints[0]).toBe(`step-${state.global_step}`);
    expect(existsSync(join(out, 'checkpoints', checkpoints[0]!, 'model.safetensors'))).toBe(true);
  });

  it('refuses a world size other than nodes × gpus_per_node, naming the field (exit 2)', async () => {
    const config = writeYaml(join(dir, 'mismatch.yaml'), runConfig('sft', model, sftData, join(dir, 'mismatch'), { max_steps: 1 }, { distributed: { backend: 'ddp', gpus_per_node: 3 } }));
    const run = await runAligntune(['train', '--config', config], { mpirun: ['-np', '2'] });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('distributed.gpus_per_node');
    expect(run.stderr).toContain('mpirun started 2');
  });

  it('refuses ddp when mpirun is not installed (ALIGNTUNE_MPIRUN names a missing one), saying what to install (exit 2)', async () => {
    const config = writeYaml(join(dir, 'no-mpirun.yaml'), runConfig('sft', model, sftData, join(dir, 'no-mpirun'), { max_steps: 1 }, { distributed: DDP }));
    const run = await runAligntune(['train', '--config', config], { env: { ...MPI_ENV, ALIGNTUNE_MPIRUN: '/nonexistent/mpirun' } });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('distributed.backend');
    expect(run.stderr).toContain('apt-get install openmpi-bin');
  });

  it('refuses deepspeed_config under a backend that does not act on it (exit 2)', async () => {
    const config = writeYaml(join(dir, 'ddp-ds.yaml'), runConfig('sft', model, sftData, join(dir, 'ddp-ds'), { max_steps: 1 }, { distributed: { ...DDP, deepspeed_config: { zero_optimization: { stage: 2 } } } }));
    const run = await runAligntune(['train', '--config', config]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('distributed.deepspeed_config: distributed backend "ddp" does not act on it');
  });

  it('refuses ZeRO stage 3 and keys it would ignore (exit 2)', async () => {
    const config = writeYaml(join(dir, 'stage3.yaml'), runConfig('sft', model, sftData, join(dir, 'stage3'), { max_steps: 1 }, { distributed: { ...ZERO2, deepspeed_config: { zero_optimization: { stage: 3 }, fp16: { enabled: true } } } }));
    const run = await runAligntune(['train', '--config', config]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('distributed.deepspeed_config.zero_optimization.stage');
    expect(run.stderr).toContain('distributed.deepspeed_config.fp16');
  });
});

describe('distributed backends without their plugin', () => {
  it('ddp in a project without an MPI plugin exits 2 naming distributed.backend and what to install', async () => {
    const project = makeProject(['loader-local', 'adapters-builtin', 'distributed-single', 'algo-sft', 'arch-gpt2'].map((name) => join(REPO_ROOT, 'plugins', name)));
    const work = tempDir('aligntune-no-mpi-');
    const data = writeJsonl(join(work, 'sft.jsonl'), SFT_ROWS);
    await writeTinyModel(join(work, 'model'), 'gpt2');
    const config = writeYaml(join(work, 'ddp.yaml'), runConfig('sft', join(work, 'model'), data, join(work, 'out'), { max_steps: 1 }, { distributed: DDP }));
    const run = await runAligntune(['--project', project, 'train', '--config', config]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('distributed.backend: "ddp" is not supported by this installation yet');
    expect(run.stderr).toContain('install a plugin that provides it');
  });
});

function childrenOf(pid: number): number[] {
  return execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' }).trim().split(/\s+/).filter(Boolean).map(Number);
}
