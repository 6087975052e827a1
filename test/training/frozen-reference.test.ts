import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSafetensors, type HfModelConfig, type ModelConfig } from '@aligntune/core';
import { createTrainer, runConfig, tempDir, tinyTokenizer, updateError, writeJsonl, writeTinyModel, type TinyFamily } from './helpers.js';
import { completionLogps, refDpoLoss, type RefPair } from './reference-losses.js';
import { storedWeights } from './stored-weights.js';

/**
 * A DPO step with the reference stored in bf16 or quantized (model.precision / model.quantization) equals the
 * float64 update computed with the reference's dequantized weights: storage is the only difference.
 */
const ROWS = [
  { prompt: 'pick a colour', chosen: 'blue sky', rejected: 'no' },
  { prompt: 'say hi', chosen: 'hi there friend', rejected: 'bye' },
  { prompt: 'count', chosen: 'one two', rejected: 'three four five six' },
];
const SGD_ONE_STEP = { optimizer: 'sgd', learning_rate: 1, shuffle: false, max_grad_norm: 0, lr_scheduler: 'constant', max_steps: 1, per_device_batch_size: 3, beta: 0.5 };

function pairs(): RefPair[] {
  const tok = tinyTokenizer();
  const ids = (text: string) => [...tok.encode(text, { addSpecialTokens: false }), tok.eosTokenId!];
  return ROWS.map((r) => ({ chosen: { prompt: tok.encode(r.prompt), completion: ids(r.chosen) }, rejected: { prompt: tok.encode(r.prompt), completion: ids(r.rejected) } }));
}

async function dpoStep(arch: TinyFamily, model: Pick<ModelConfig, 'precision' | 'quantization'>): Promise<{ stored: number; fp32: number }> {
  const dir = tempDir();
  const modelDir = join(dir, 'model');
  const { config, tensors } = await writeTinyModel(modelDir, arch, { seed: 7 });
  const data = writeJsonl(join(dir, 'data.jsonl'), ROWS);
  const run = runConfig('dpo', modelDir, data, join(dir, 'out'), SGD_ONE_STEP, { model: { name_or_path: modelDir, ...model } });
  expect((await (await createTrainer(run)).train()).steps).toBe(1);
  const { tensors: after } = await readSafetensors(join(dir, 'out/final/model.safetensors'));
  const ps = pairs();
  const logps = (c: HfModelConfig, w: Map<string, Float64Array>) => ({ chosen: completionLogps(c, w, ps.map((p) => p.chosen)), rejected: completionLogps(c, w, ps.map((p) => p.rejected)) });
  const storedRef = logps(config, await storedWeights(modelDir, model));
  const fp32Ref = logps(config, new Map([...tensors].map(([n, t]) => [n, Float64Array.from(t.data as Float32Array)])));
  const error = (ref: { chosen: number[]; rejected: number[] }) => updateError(tensors, after, (w) => refDpoLoss(config, w, ps, ref, { type: 'sigmoid', beta: 0.5, eps: 0 }), 1).relError;
  return { stored: error(storedRef), fp32: error(fp32Ref) };
}

describe('DPO with a stored reference: one SGD step equals the float64 update with the dequantized reference', () => {
  it('gpt2, 4-bit nf4 reference (the float32 reference would not match)', async () => {
    const { stored, fp32 } = await dpoStep('gpt2', { precision: 'fp32', quantization: { load_in_4bit: true, bnb_4bit_quant_type: 'nf4', block_size: 32 } });
    expect(stored).toBeLessThan(1e-3);
    expect(fp32).toBeGreaterThan(1e-2);
  });

  it('llama, bf16 reference with int8 linear layers', async () => {
    const { stored } = await dpoStep('llama', { precision: 'bf16', quantization: { load_in_8bit: true } });
    expect(stored).toBeLessThan(1e-3);
  });
});
