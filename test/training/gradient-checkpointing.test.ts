import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSafetensors, type StoredTensor } from '@aligntune/core';
import { createTrainer, runConfig, tempDir, writeJsonl, writeTinyModel, type TinyFamily } from './helpers.js';
import { preferencePairs, sftRows } from './synthetic.js';

/** The trained weights after two SGD steps of `algo` (SFT unless said), with or without gradient checkpointing. */
async function trainedWeights(dir: string, checkpointing: boolean, algo = 'sft', modelFields: Record<string, unknown> = {}): Promise<Map<string, StoredTensor>> {
  const out = join(dir, checkpointing ? 'out-ckpt' : 'out-plain');
  const config = runConfig(algo, join(dir, 'model'), join(dir, 'data'), out, { per_device_batch_size: 4, max_steps: 2, optimizer: 'sgd', learning_rate: 0.1, max_grad_norm: 0 }, { model: { name_or_path: join(dir, 'model'), gradient_checkpointing: checkpointing, ...modelFields } });
  await (await createTrainer(config)).train();
  const saved = 'peft' in modelFields ? 'final/adapter_model.safetensors' : 'final/model.safetensors';
  return (await readSafetensors(join(out, saved))).tensors;
}

const values = (t: StoredTensor) => Float64Array.from(t.data as ArrayLike<number>);

/**
 * The largest change of any weight from `before` in `plain`, and the largest difference between `plain` and
 * `recomputed` beyond `ulps` float32 units in the last place of the weight (w − lr·g rounds to the weight's
 * precision, so gradients that differ in their last bits can give weights a unit apart).
 */
function updateDifference(before: Map<string, StoredTensor>, plain: Map<string, StoredTensor>, recomputed: Map<string, StoredTensor>, ulps = 0): { largest: number; worst: number } {
  let largest = 0;
  let worst = 0;
  for (const [name, start] of before) {
    const a = values(plain.get(name)!);
    const b = values(recomputed.get(name)!);
    const s = values(start);
    for (let i = 0; i < s.length; i++) {
      largest = Math.max(largest, Math.abs(a[i]! - s[i]!));
      worst = Math.max(worst, Math.abs(a[i]! - b[i]!) - ulps * 2 ** -23 * Math.max(Math.abs(a[i]!), Math.abs(b[i]!)));
    }
  }
  return { largest, worst };
}

describe('model.gradient_checkpointing: the backward recomputes each decoder layer', () => {
  for (const family of ['gpt2', 'llama', 'gemma3', 'qwen2_moe'] as TinyFamily[]) {
    it(`${family}: the same update to 1e-6 relative as without`, async () => {
      const dir = tempDir();
      const { tensors: before } = await writeTinyModel(join(dir, 'model'), family, { seed: 3 });
      writeJsonl(join(dir, 'data/train.jsonl'), sftRows(8, 7));
      const plain = await trainedWeights(dir, false);
      const recomputed = await trainedWeights(dir, true);
      const { largest, worst } = updateDifference(before, plain, recomputed);
      expect(largest).toBeGreaterThan(1e-4); // the steps moved the weights
      expect(worst / largest).toBeLessThan(1e-6);
    });
  }

  // the LM head and its log-softmax then run in vocabulary chunks (4,096 + 904 entries), each replayed in the backward
  for (const [algo, family] of [
    ['sft', 'gpt2'],
    ['dpo', 'llama'],
  ] as const) {
    it(`${algo}, ${family} with a 5,000-entry vocabulary: the same update to 1e-6 relative as without, up to a float32 rounding of the weight`, async () => {
      const dir = tempDir();
      const { tensors: before } = await writeTinyModel(join(dir, 'model'), family, { seed: 6, vocabSize: 5000 });
      writeJsonl(join(dir, 'data/train.jsonl'), algo === 'sft' ? sftRows(8, 7) : preferencePairs(8, 9));
      const plain = await trainedWeights(dir, false, algo);
      const recomputed = await trainedWeights(dir, true, algo);
      const exact = updateDifference(before, plain, recomputed);
      const { largest, worst } = updateDifference(before, plain, recomputed, 2);
      expect(exact.worst).toBeGreaterThan(0); // the chunked sums round differently: this checks the chunked path ran
      expect(largest).toBeGreaterThan(1e-4);
      expect(worst / largest).toBeLessThan(1e-6);
    });
  }

  it('DPO against a bf16 + nf4 reference: the same update to 1e-6 relative as without', async () => {
    const dir = tempDir();
    const { tensors: before } = await writeTinyModel(join(dir, 'model'), 'llama', { seed: 4 });
    writeJsonl(join(dir, 'data/train.jsonl'), preferencePairs(8, 9));
    const reference = { precision: 'bf16', quantization: { load_in_4bit: true, bnb_4bit_quant_type: 'nf4', block_size: 32 } };
    const plain = await trainedWeights(dir, false, 'dpo', reference);
    const recomputed = await trainedWeights(dir, true, 'dpo', reference);
    const { largest, worst } = updateDifference(before, plain, recomputed);
    expect(largest).toBeGreaterThan(1e-4);
    expect(worst / largest).toBeLessThan(1e-6);
  });

  // with 5,000 entries the frozen base's tied embedding is read by the chunked head one slice at a time
  for (const vocabSize of [undefined, 5000]) {
    it(`QLoRA (nf4 base, adapters on q/v${vocabSize ? ', a 5,000-entry vocabulary' : ''}): the adapters get the same update to 1e-6 relative as without`, async () => {
      const dir = tempDir();
      await writeTinyModel(join(dir, 'model'), 'llama', { seed: 5, ...(vocabSize && { vocabSize }) });
      writeJsonl(join(dir, 'data/train.jsonl'), sftRows(8, 7));
      const qlora = { peft: { r: 4, lora_alpha: 8, target_modules: ['q_proj', 'v_proj'] }, quantization: { load_in_4bit: true, bnb_4bit_quant_type: 'nf4' } };
      const plain = await trainedWeights(dir, false, 'sft', qlora);
      const recomputed = await trainedWeights(dir, true, 'sft', qlora);
      // lora_B starts at zero (PEFT's init), so its trained values are its update
      const zero = new Map([...plain].map(([name, t]) => [name, { ...t, data: name.includes('lora_B') ? new Float32Array(t.data.length) : t.data }] as const));
      const { largest, worst } = updateDifference(zero, plain, recomputed, vocabSize ? 2 : 0);
      expect([...plain.keys()].some((name) => name.includes('lora_B'))).toBe(true);
      expect(largest).toBeGreaterThan(1e-4);
      expect(worst / largest).toBeLessThan(1e-6);
    });
  }
});
