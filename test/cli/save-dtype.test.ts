import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { f32ToBf16, readCheckpoint, readSafetensors, type StoredTensor } from '@aligntune/core';
import { bf16Copy } from '../helpers/half-copy.js';
import { cli } from '../helpers/run-cli.js';
import { REPO_ROOT } from '../helpers/temp-project.js';
import { tinyModelDir, writeYamlConfig } from '../helpers/tiny-model-dir.js';

/**
 * train.save_dtype and `export merged --dtype` through the CLI: a model from a bf16 checkpoint is published in bf16
 * (final/, export) with config.json's torch_dtype to match, its values the float32 master weights rounded to nearest
 * even; resumable checkpoints keep float32; a LoRA adapter stays float32 as PEFT saves it; the options override.
 */
let dir: string;
let bf16Model: string;

function sftConfig(name: string, train: Record<string, unknown> = {}, model: Record<string, unknown> = {}): string {
  return writeYamlConfig(dir, name, {
    algo: 'sft',
    model: { name_or_path: bf16Model, ...model },
    datasets: [{ name: join(REPO_ROOT, 'examples/data/sft.jsonl'), max_samples: 4 }],
    train: { per_device_batch_size: 2, max_steps: 2, max_length: 32, learning_rate: 1e-2, logging_steps: 1, save_interval: 1, ...train },
    logging: { output_dir: join(dir, name) },
    caching: { enabled: false },
  });
}

async function train(name: string, trainFields: Record<string, unknown> = {}, model: Record<string, unknown> = {}): Promise<string> {
  const run = await cli('train', '--config', sftConfig(name, trainFields, model));
  expect(run.code, run.stderr).toBe(0);
  return join(dir, name);
}

const torchDtype = (modelDir: string) => (JSON.parse(readFileSync(join(modelDir, 'config.json'), 'utf8')) as { torch_dtype: string }).torch_dtype;
const dtypes = (tensors: ReadonlyMap<string, StoredTensor>) => new Set([...tensors.values()].map((t) => t.dtype));
const bytes = (t: StoredTensor) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
const raw = async (modelDir: string) => (await readCheckpoint(modelDir, { keepRaw: true })).tensors;

beforeAll(async () => {
  const tiny = await tinyModelDir('aligntune-save-dtype-');
  dir = tiny.dir;
  bf16Model = join(dir, 'bf16-model');
  await bf16Copy(tiny.model, bf16Model);
});

describe('the published model keeps the checkpoint dtype (train.save_dtype: auto)', () => {
  it('SFT from a bf16 checkpoint: final/ is bf16, the float32 master rounded to nearest even; checkpoints stay float32; save_dtype overrides', { timeout: 120_000 }, async () => {
    const out = await train('sft-auto');
    // the same run publishing float32 holds the master weights final/ rounds (runs are deterministic)
    const fp32 = await train('sft-fp32', { save_dtype: 'float32' });
    expect(dtypes(await raw(join(out, 'checkpoints/step-1')))).toEqual(new Set(['F32']));
    expect(torchDtype(join(out, 'checkpoints/step-1'))).toBe('float32');
    const published = await raw(join(out, 'final'));
    const master = await raw(join(fp32, 'final'));
    expect(dtypes(published)).toEqual(new Set(['BF16']));
    expect(torchDtype(join(out, 'final'))).toBe('bfloat16');
    expect(dtypes(master)).toEqual(new Set(['F32']));
    expect(torchDtype(join(fp32, 'final'))).toBe('float32');
    expect([...published.keys()].sort()).toEqual([...master.keys()].sort());
    for (const [name, t] of master) expect(published.get(name)!.data, name).toEqual(f32ToBf16(t.data as Float32Array));
    // the steps trained: the published weights are not the start's
    const start = await raw(bf16Model);
    expect([...published].some(([name, t]) => !bytes(t).equals(bytes(start.get(name)!)))).toBe(true);
    const fp16 = await train('sft-fp16', { save_dtype: 'float16', save_interval: 0 });
    expect(dtypes(await raw(join(fp16, 'final')))).toEqual(new Set(['F16']));
    expect(torchDtype(join(fp16, 'final'))).toBe('float16');
  });

  it('an invalid train.save_dtype exits 2 naming the key', async () => {
    const run = await cli('train', '--config', sftConfig('sft-bad', { save_dtype: 'bf16' }));
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('train.save_dtype');
  });
});

describe('LoRA on a bf16 base and export merged', () => {
  it('the adapter is saved float32 (PEFT upcasts adapters); merged is bf16 = round(float32 merge); --dtype overrides; a bad --dtype exits 2', { timeout: 120_000 }, async () => {
    const out = await train('lora-auto', { save_interval: 0 }, { peft: { r: 4, lora_alpha: 8, target_modules: 'all-linear' } });
    const adapter = await readSafetensors(join(out, 'final/adapter_model.safetensors'), { keepRaw: true });
    expect(dtypes(adapter.tensors)).toEqual(new Set(['F32']));
    const exportTo = async (name: string, ...extra: string[]) => {
      const run = await cli('export', 'merged', '--adapter', join(out, 'final'), '--model', bf16Model, '--out', join(dir, name), ...extra);
      expect(run.code, run.stderr).toBe(0);
      return join(dir, name);
    };
    const merged = await exportTo('merged-auto');
    const exact = await exportTo('merged-fp32', '--dtype', 'float32');
    expect(torchDtype(merged)).toBe('bfloat16');
    expect(torchDtype(exact)).toBe('float32');
    const narrow = await raw(merged);
    const wide = await raw(exact);
    expect(dtypes(narrow)).toEqual(new Set(['BF16']));
    for (const [name, t] of wide) expect(narrow.get(name)!.data, name).toEqual(f32ToBf16(t.data as Float32Array));
    const bad = await cli('export', 'merged', '--adapter', join(out, 'final'), '--out', join(dir, 'merged-bad'), '--dtype', 'half');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--dtype');
  });

  it('train.save_dtype: bfloat16 writes the adapter in bf16 too', { timeout: 120_000 }, async () => {
    const out = await train('lora-bf16', { save_interval: 0, save_dtype: 'bfloat16' }, { peft: { r: 4, lora_alpha: 8, target_modules: 'all-linear' } });
    const adapter = await readSafetensors(join(out, 'final/adapter_model.safetensors'), { keepRaw: true });
    expect(dtypes(adapter.tensors)).toEqual(new Set(['BF16']));
  });
});
