import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSafetensors, writeDirAtomic } from '@aligntune/core';
import { createTrainer, readMetrics, runConfig, tempDir, writeJsonl, writeTinyModel } from './helpers.js';
import { preferencePairs, sftRows } from './synthetic.js';

async function setup(algo: 'sft' | 'dpo', rows = 8): Promise<{ dir: string; model: string; data: string }> {
  const dir = tempDir();
  const model = join(dir, 'model');
  await writeTinyModel(model, 'gpt2', { weights: 'init', seed: 2 });
  const data = writeJsonl(join(dir, 'data.jsonl'), algo === 'sft' ? sftRows(rows, 9) : preferencePairs(rows, 9));
  return { dir, model, data };
}

/** Largest |a − b| between two runs' final weights, and the largest |a − start| (the size of the update). */
async function compareRuns(start: string, a: string, b: string): Promise<{ diff: number; update: number }> {
  const [{ tensors: w0 }, { tensors: wa }, { tensors: wb }] = await Promise.all([start, a, b].map((file) => readSafetensors(file)));
  let diff = 0;
  let update = 0;
  for (const [name, t] of wa) {
    const other = wb.get(name)!.data as Float32Array;
    const initial = w0.get(name)!.data as Float32Array;
    (t.data as Float32Array).forEach((v, i) => {
      diff = Math.max(diff, Math.abs(v - other[i]!));
      update = Math.max(update, Math.abs(v - initial[i]!));
    });
  }
  return { diff, update };
}

const TRAIN_KEYS = ['step', 'epoch', 'loss', 'learning_rate', 'grad_norm', 'tokens_per_second'];
const DPO_KEYS = ['rewards/chosen', 'rewards/rejected', 'rewards/accuracies', 'rewards/margins', 'logps/chosen', 'logps/rejected'];

describe('ContractTrainer loop', () => {
  it('writes the documented output layout, checkpoints every save_interval and prunes to save_total_limit', async () => {
    const { dir, model, data } = await setup('dpo');
    const out = join(dir, 'out');
    const trainer = await createTrainer(runConfig('dpo', model, data, out, { per_device_batch_size: 2, max_steps: 7, save_interval: 2, save_total_limit: 2, eval_fraction: 0.25, eval_interval: 3 }));
    const result = await trainer.train();
    expect(result.steps).toBe(7);
    expect(existsSync(join(out, 'config.resolved.yaml'))).toBe(true);
    expect(readFileSync(join(out, 'config.resolved.yaml'), 'utf8')).toMatch(/beta: 0.1/);
    const rows = readMetrics(join(out, 'metrics.jsonl'));
    const train = rows.filter((r) => 'loss' in r);
    expect(train.map((r) => r.step)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    for (const key of [...TRAIN_KEYS, ...DPO_KEYS]) expect(train[0]).toHaveProperty([key]);
    expect(train[0]!.loss).toBeCloseTo(Math.log(2), 5); // policy = reference at the first step
    const evals = rows.filter((r) => 'eval/loss' in r);
    expect(evals.map((r) => r.step)).toEqual([3, 6, 7]);
    expect(evals[0]).toHaveProperty(['eval/rewards/accuracies']);
    expect(readdirSync(join(out, 'checkpoints')).sort()).toEqual(['step-4', 'step-6']);
    expect(readdirSync(join(out, 'checkpoints/step-6')).sort()).toEqual(expect.arrayContaining(['config.json', 'model.safetensors', 'optimizer.safetensors', 'trainer_state.json', 'tokenizer.json']));
    const state = JSON.parse(readFileSync(join(out, 'checkpoints/step-6/trainer_state.json'), 'utf8'));
    expect(state).toMatchObject({ global_step: 6, total_steps: 7, algo: 'dpo' });
    expect(readdirSync(join(out, 'final'))).toEqual(expect.arrayContaining(['config.json', 'model.safetensors', 'generation_config.json', 'tokenizer.json']));
    const { tensors: before } = await readSafetensors(join(model, 'model.safetensors'));
    const { tensors: after } = await readSafetensors(join(out, 'final/model.safetensors'));
    expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
  });

  it('resumes at step k and reproduces the uninterrupted run (weights, optimizer, schedule, data position, log window)', async () => {
    const { dir, model, data } = await setup('sft', 7);
    // batch 2 over 7 rows: 4 micro-batches per epoch, so the resumed part crosses an epoch boundary; logging every 2 steps
    const train = { per_device_batch_size: 2, max_steps: 7, logging_steps: 2, learning_rate: 1e-2, warmup_steps: 2, weight_decay: 0.1, max_grad_norm: 0.5 };
    await (await createTrainer(runConfig('sft', model, data, join(dir, 'a'), train))).train();
    const interrupted = await createTrainer(runConfig('sft', model, data, join(dir, 'b'), train));
    interrupted.hooks.onStep = (step) => {
      if (step === 3) interrupted.signals.requestStop('SIGINT');
    };
    const partial = await interrupted.train();
    expect(partial).toMatchObject({ steps: 3, interrupted: true });
    expect(existsSync(join(dir, 'b/final'))).toBe(false);
    expect(readdirSync(join(dir, 'b/checkpoints'))).toEqual(['step-3']);
    const resumed = await createTrainer(runConfig('sft', model, data, join(dir, 'b'), { ...train, resume_from_checkpoint: 'latest' }));
    expect((await resumed.train()).steps).toBe(7);
    const strip = (rows: Array<Record<string, number>>) => rows.filter((r) => r.step > 3).map(({ tokens_per_second: _t, ...rest }) => rest);
    const a = strip(readMetrics(join(dir, 'a/metrics.jsonl')));
    const b = strip(readMetrics(join(dir, 'b/metrics.jsonl')));
    expect(b.map((r) => r.step)).toEqual(a.map((r) => r.step));
    a.forEach((row, i) => {
      for (const [key, value] of Object.entries(row)) expect(Math.abs(b[i]![key]! - value), `${key} at step ${row.step}`).toBeLessThan(1e-6);
    });
    const { tensors: wa } = await readSafetensors(join(dir, 'a/final/model.safetensors'));
    const { tensors: wb } = await readSafetensors(join(dir, 'b/final/model.safetensors'));
    for (const [name, t] of wa) expect(Array.from(wb.get(name)!.data as Float32Array)).toEqual(Array.from(t.data as Float32Array));
  });

  it('stops on SIGTERM after the current step with a checkpoint', async () => {
    const { dir, model, data } = await setup('sft');
    const trainer = await createTrainer(runConfig('sft', model, data, join(dir, 'out'), { per_device_batch_size: 4, max_steps: 50 }));
    trainer.hooks.onStep = (step) => {
      if (step === 2) process.emit('SIGTERM');
    };
    const result = await trainer.train();
    expect(result).toMatchObject({ steps: 2, interrupted: true });
    expect(readdirSync(join(dir, 'out/checkpoints'))).toEqual(['step-2']);
    expect(process.listenerCount('SIGTERM')).toBe(0);
  });

  it('gradient accumulation of 2 micro-batches of 2 pairs equals one batch of 4 (DPO: mean over pairs)', async () => {
    const { dir, model, data } = await setup('dpo', 4);
    const base = { optimizer: 'sgd', learning_rate: 0.5, shuffle: false, max_grad_norm: 0, lr_scheduler: 'constant', max_steps: 1 };
    await (await createTrainer(runConfig('dpo', model, data, join(dir, 'one'), { ...base, per_device_batch_size: 4 }))).train();
    await (await createTrainer(runConfig('dpo', model, data, join(dir, 'acc'), { ...base, per_device_batch_size: 2, gradient_accumulation_steps: 2 }))).train();
    const { diff, update } = await compareRuns(join(model, 'model.safetensors'), join(dir, 'one/final/model.safetensors'), join(dir, 'acc/final/model.safetensors'));
    expect(update).toBeGreaterThan(1e-4);
    expect(diff).toBeLessThan(update * 1e-4);
  });

  it.each([
    [1, 'update'],
    [2, 'full'],
  ])('the grouped optimizer update equals the one-run update: AdamW, clipping, accumulation %i, memory_saving %s', async (accumulation, saving) => {
    const { dir, model, data } = await setup('dpo', 4);
    const base = { learning_rate: 0.05, weight_decay: 0.1, shuffle: false, max_grad_norm: 0.05, max_steps: 3, per_device_batch_size: 4 / accumulation, gradient_accumulation_steps: accumulation, logging_steps: 1 };
    await (await createTrainer(runConfig('dpo', model, data, join(dir, 'fused'), { ...base, memory_saving: 'off' }))).train();
    // 0.004 MiB ≈ 4 KiB: the tiny model's tensors land in many groups
    await (await createTrainer(runConfig('dpo', model, data, join(dir, 'grouped'), { ...base, memory_saving: saving, optimizer_group_mb: 0.004 }))).train();
    const { diff, update } = await compareRuns(join(model, 'model.safetensors'), join(dir, 'fused/final/model.safetensors'), join(dir, 'grouped/final/model.safetensors'));
    expect(update).toBeGreaterThan(1e-3);
    expect(diff).toBeLessThan(update * 1e-5);
    const norms = (name: string) => readMetrics(join(dir, name, 'metrics.jsonl')).filter((r) => 'grad_norm' in r).map((r) => r.grad_norm);
    expect(norms('grouped')).toEqual(norms('fused').map((n) => expect.closeTo(n!, 5)));
    expect(norms('fused')[0]).toBeGreaterThan(0.05); // clipping was active
  });

  it('writes directories atomically: a failed write leaves the previous version and no temp dir', async () => {
    const dir = tempDir();
    const target = join(dir, 'checkpoints/step-1');
    await writeDirAtomic(target, async (tmp) => writeFileSync(join(tmp, 'a'), 'good'));
    await expect(
      writeDirAtomic(target, async (tmp) => {
        writeFileSync(join(tmp, 'a'), 'half');
        throw new Error('disk full');
      }),
    ).rejects.toThrow('disk full');
    expect(readFileSync(join(target, 'a'), 'utf8')).toBe('good');
    expect(readdirSync(join(dir, 'checkpoints'))).toEqual(['step-1']);
  });
});
