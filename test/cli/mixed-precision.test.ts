import 'reflect-metadata';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readCheckpoint } from '@aligntune/core';
import { halfCopy } from '../helpers/half-copy.js';
import { cli } from '../helpers/run-cli.js';
import { FIXTURE_PLUGINS, REPO_ROOT } from '../helpers/temp-project.js';
import { tinyModelDir, writeYamlConfig } from '../helpers/tiny-model-dir.js';

/**
 * model.precision: fp16 on a backend that declares float16 compute (a fixture: the CPU backend with
 * computeDtypes ['float16']) trains with mixed precision and dynamic loss scaling; the scaler's state is in
 * checkpoints and a resume continues exactly. On the plain CPU backends fp16 stays storage-only.
 */
const FP16_BACKEND = join(FIXTURE_PLUGINS, 'fp16-compute');
let dir: string;
let model: string;

function sftConfig(name: string, train: Record<string, unknown> = {}, compute: Record<string, unknown> = { backend: 'fixture-fp16' }, modelFields: Record<string, unknown> = { name_or_path: model, precision: 'fp16' }): string {
  return writeYamlConfig(dir, name, {
    algo: 'sft',
    model: modelFields,
    datasets: [{ name: join(REPO_ROOT, 'examples/data/sft.jsonl'), max_samples: 8 }],
    train: { per_device_batch_size: 2, max_steps: 3, max_length: 32, learning_rate: 1e-2, logging_steps: 1, save_interval: 2, ...train },
    compute,
    logging: { output_dir: join(dir, name) },
    caching: { enabled: false },
    plugins: [FP16_BACKEND],
  });
}

const metrics = (run: string) => readFileSync(join(dir, run, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>).filter((m) => 'loss' in m);

const runLog = (run: string) => readFileSync(join(dir, run, 'logs/run.log'), 'utf8');

beforeAll(async () => {
  ({ dir, model } = await tinyModelDir('aligntune-mixed-precision-'));
});

describe('mixed precision through aligntune train', () => {
  it('fp16 on a float16-compute backend: loss scaling logged and checkpointed; a resume gives the same final model', { timeout: 180_000 }, async () => {
    const full = await cli('train', '--config', sftConfig('full'));
    expect(full.code, full.stderr).toBe(0);
    expect(runLog('full')).toContain('mixed precision: MatMuls in float16, float32 master weights, loss and softmax/norm statistics, dynamic loss scaling from 65536');
    expect(metrics('full').map((m) => m.loss_scale)).toEqual([65536, 65536, 65536]);
    const state = JSON.parse(readFileSync(join(dir, 'full/checkpoints/step-2/trainer_state.json'), 'utf8')) as { loss_scaler: unknown };
    expect(state.loss_scaler).toEqual({ scale: 65536, growth_tracker: 2 });
    const resumed = await cli('train', '--config', sftConfig('resumed', { resume_from_checkpoint: join(dir, 'full/checkpoints/step-2') }));
    expect(resumed.code, resumed.stderr).toBe(0);
    const [a, b] = [await readCheckpoint(join(dir, 'full/final')), await readCheckpoint(join(dir, 'resumed/final'))];
    for (const [name, t] of a.tensors) expect(b.tensors.get(name)!.data, name).toEqual(t.data);
  });

  it('fp16 on the cpu backend stays storage-only (no loss scaling)', { timeout: 120_000 }, async () => {
    const cpu = await cli('train', '--config', sftConfig('cpu', { save_interval: 0, max_steps: 1 }, { backend: 'cpu' }));
    expect(cpu.code, cpu.stderr).toBe(0);
    expect(runLog('cpu')).not.toContain('mixed precision');
    expect(metrics('cpu')[0]).not.toHaveProperty('loss_scale');
  });

  it('fp16 mixed precision with gradient accumulation or a grouped update exits 2 naming model.precision, before any output directory exists', async () => {
    for (const [name, train, blocker] of [
      ['accumulated', { gradient_accumulation_steps: 2, per_device_batch_size: 1 }, 'train.gradient_accumulation_steps > 1'],
      ['grouped', { memory_saving: 'update' }, 'train.memory_saving update'],
    ] as const) {
      const refused = await cli('train', '--config', sftConfig(name, train));
      expect(refused.code, name).toBe(2);
      expect(refused.stderr).toContain(`model.precision: fp16 mixed precision (dynamic loss scaling) runs one fused step per update; it is not built for ${blocker}`);
      expect(existsSync(join(dir, name)), `${name}: no output directory (logs/run.log) left behind`).toBe(false);
    }
    // precision auto on a float16 checkpoint is fp16
    const f16Model = join(dir, 'f16-model');
    await halfCopy(model, f16Model, 'F16');
    const auto = await cli('train', '--config', sftConfig('auto-f16', { gradient_accumulation_steps: 2, per_device_batch_size: 1 }, undefined, { name_or_path: f16Model }));
    expect(auto.code).toBe(2);
    expect(auto.stderr).toContain('model.precision: fp16 mixed precision (dynamic loss scaling) runs one fused step per update');
    expect(existsSync(join(dir, 'auto-f16'))).toBe(false);
  });
});
