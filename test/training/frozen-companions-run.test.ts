import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { f32ToBf16, loadModel, readCheckpoint, type StoredTensor } from '@aligntune/core';
import { bf16Copy } from '../helpers/half-copy.js';
import { ppoKernel, writeTinyScoreModel } from './ppo-helpers.js';
import { createTrainer, runConfig, tempDir, trainingKernel, writeJsonl, writeTinyModel } from './helpers.js';

/**
 * Runs whose frozen models have directories of their own in bf16 (model.ref_path, PPO's model.reward_path), loaded
 * tensor by tensor with their bits kept (test/models/frozen-companions.test.ts checks the loading): they train as a
 * float32 checkpoint of the same values stored bf16 does, and PPO's final/value_model/ follows train.save_dtype.
 */
const PAIRS = [
  { prompt: 'pick a colour', chosen: 'blue sky', rejected: 'no' },
  { prompt: 'say hi', chosen: 'hi there friend', rejected: 'bye' },
];
const PROMPTS = [{ prompt: 'the cat' }, { prompt: 'count' }, { prompt: 'hello there' }, { prompt: 'a' }];

const raw = async (dir: string) => (await readCheckpoint(dir, { keepRaw: true })).tensors;
const bytes = (t: StoredTensor) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
const torchDtype = (dir: string) => (JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as { torch_dtype: string }).torch_dtype;

describe('frozen models from bf16 directories of their own', () => {
  it('DPO, model.ref_path a bf16 checkpoint (precision auto): the same final/ as a float32 checkpoint of its values with precision bf16', async () => {
    const dir = tempDir();
    const policy = join(dir, 'policy');
    await writeTinyModel(policy, 'llama', { seed: 7 });
    await writeTinyModel(join(dir, 'ref-source'), 'llama', { seed: 5 });
    const refBf16 = join(dir, 'ref-bf16');
    await bf16Copy(join(dir, 'ref-source'), refBf16);
    // the bf16 values, written float32
    const refF32 = join(dir, 'ref-f32');
    await (await loadModel(refBf16, { kernel: trainingKernel() })).save(refF32);
    const data = writeJsonl(join(dir, 'pairs.jsonl'), PAIRS);
    const train = { optimizer: 'sgd', learning_rate: 1e-2, shuffle: false, max_steps: 1, per_device_batch_size: 2 };
    const run = async (name: string, ref: string, precision: string) => {
      const config = runConfig('dpo', policy, data, join(dir, name), train, { model: { name_or_path: policy, ref_path: ref, precision } });
      expect((await (await createTrainer(config)).train()).steps).toBe(1);
      return raw(join(dir, name, 'final'));
    };
    const kept = await run('kept-bits', refBf16, 'auto');
    const narrowed = await run('narrowed', refF32, 'bf16');
    for (const [name, t] of narrowed) expect(bytes(kept.get(name)!).equals(bytes(t)), name).toBe(true);
    // the step moved the policy: the reference made a difference to compare
    const start = await raw(policy);
    expect([...kept].some(([name, t]) => !bytes(t).equals(bytes(start.get(name)!)))).toBe(true);
  });

  it('PPO from a bf16 checkpoint with a bf16 reward model: final/value_model/ is bf16, the float32 run\'s value model rounded; checkpoints keep float32', async () => {
    const dir = tempDir();
    await writeTinyModel(join(dir, 'policy-source'), 'gpt2', { seed: 2 });
    await writeTinyScoreModel(join(dir, 'rm-source'), 'gpt2', 5);
    const [policy, rm] = [join(dir, 'policy'), join(dir, 'rm')];
    await bf16Copy(join(dir, 'policy-source'), policy);
    await bf16Copy(join(dir, 'rm-source'), rm);
    const prompts = writeJsonl(join(dir, 'prompts.jsonl'), PROMPTS);
    const train = { max_steps: 2, save_interval: 1, per_device_batch_size: 4, rollout_batch_size: 4, response_length: 3, num_ppo_epochs: 1, learning_rate: 1e-3, seed: 4 };
    const run = async (name: string, saveDtype: string) => {
      const config = runConfig('ppo', policy, prompts, join(dir, name), { ...train, save_dtype: saveDtype }, { model: { name_or_path: policy, reward_path: rm } });
      expect((await (await createTrainer(config, ppoKernel())).train()).steps).toBe(2);
      return join(dir, name);
    };
    const published = await run('auto', 'auto');
    const master = await run('float32', 'float32');
    const value = (out: string) => join(out, 'final/value_model');
    expect(torchDtype(value(published))).toBe('bfloat16');
    expect(torchDtype(value(master))).toBe('float32');
    expect(torchDtype(join(published, 'checkpoints/step-1/value_model'))).toBe('float32');
    const [narrow, wide] = [await raw(value(published)), await raw(value(master))];
    expect([...narrow.keys()].sort()).toEqual([...wide.keys()].sort());
    for (const [name, t] of wide) {
      expect(narrow.get(name)!.dtype, name).toBe('BF16');
      expect(narrow.get(name)!.data, name).toEqual(f32ToBf16(t.data as Float32Array));
    }
    expect(new Set([...(await raw(join(published, 'checkpoints/step-1/value_model'))).values()].map((t) => t.dtype))).toEqual(new Set(['F32']));
  });
});
