import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSafetensors, type HfModelConfig, type StoredTensor, type Tokenizer } from '@aligntune/core';
import { createTrainer, readMetrics, runConfig, tempDir, writeJsonl, writeTinyModel } from './helpers.js';
import { completionLogps, refSftLoss } from './reference-losses.js';
import { preferencePairs, sftRows } from './synthetic.js';

function weightsOf(tensors: Map<string, StoredTensor>): Map<string, Float32Array> {
  return new Map([...tensors].map(([n, t]) => [n, t.data as Float32Array]));
}

/** Fraction of pairs whose chosen completion the model finds more likely (float64 reference forward). */
function rankingAccuracy(config: HfModelConfig, weights: Map<string, Float32Array>, tok: Tokenizer, rows: ReturnType<typeof preferencePairs>): number {
  const seq = (prompt: string, text: string) => ({ prompt: tok.encode(prompt), completion: [...tok.encode(text, { addSpecialTokens: false }), tok.eosTokenId!] });
  const chosen = completionLogps(config, weights, rows.map((r) => seq(r.prompt, r.chosen)));
  const rejected = completionLogps(config, weights, rows.map((r) => seq(r.prompt, r.rejected)));
  return chosen.filter((c, i) => c > rejected[i]!).length / rows.length;
}

describe('training learns', () => {
  it('dpo: held-out preference accuracy goes from about 0.5 to above 0.9', async () => {
    const dir = tempDir();
    const { config, tensors, tokenizer } = await writeTinyModel(join(dir, 'model'), 'gpt2', { weights: 'init', seed: 3 });
    writeJsonl(join(dir, 'data/train.jsonl'), preferencePairs(96, 1));
    const heldOut = preferencePairs(32, 2);
    writeJsonl(join(dir, 'data/test.jsonl'), heldOut);
    const before = rankingAccuracy(config, weightsOf(tensors), tokenizer, heldOut);
    const cfg = runConfig('dpo', join(dir, 'model'), join(dir, 'data'), join(dir, 'out'), { per_device_batch_size: 8, max_steps: 36, learning_rate: 3e-3, lr_scheduler: 'constant', beta: 0.5, eval_interval: 36, logging_steps: 6 });
    (cfg.datasets as Array<Record<string, unknown>>)[0]!.eval_split = 'test';
    const trainer = await createTrainer(cfg);
    await trainer.train();
    const evalRow = readMetrics(join(dir, 'out/metrics.jsonl')).find((r) => 'eval/rewards/accuracies' in r)!;
    const { tensors: after } = await readSafetensors(join(dir, 'out/final/model.safetensors'));
    const afterAcc = rankingAccuracy(config, weightsOf(after), tokenizer, heldOut);
    expect(before).toBeGreaterThan(0.2);
    expect(before).toBeLessThan(0.8);
    expect(evalRow['eval/rewards/accuracies']).toBeGreaterThan(0.9);
    expect(afterAcc).toBeGreaterThan(0.9);
  });

  it('sft: held-out completion NLL drops clearly', async () => {
    const dir = tempDir();
    const { config, tensors, tokenizer } = await writeTinyModel(join(dir, 'model'), 'llama', { weights: 'init', seed: 4 });
    writeJsonl(join(dir, 'data/train.jsonl'), sftRows(96, 5));
    const heldOut = sftRows(16, 6);
    writeJsonl(join(dir, 'data/test.jsonl'), heldOut);
    const seqs = heldOut.map((r) => ({ prompt: tokenizer.encode(r.prompt), completion: [...tokenizer.encode(r.completion, { addSpecialTokens: false }), tokenizer.eosTokenId!] }));
    const cfg = runConfig('sft', join(dir, 'model'), join(dir, 'data'), join(dir, 'out'), { per_device_batch_size: 8, max_steps: 40, learning_rate: 5e-3, logging_steps: 10, warmup_steps: 4 });
    await (await createTrainer(cfg)).train();
    const { tensors: after } = await readSafetensors(join(dir, 'out/final/model.safetensors'));
    const nllBefore = refSftLoss(config, weightsOf(tensors), seqs);
    const nllAfter = refSftLoss(config, weightsOf(after), seqs);
    expect(nllBefore).toBeGreaterThan(5); // ≈ log(vocab) at initialisation
    expect(nllAfter).toBeLessThan(nllBefore * 0.5);
    const logged = readMetrics(join(dir, 'out/metrics.jsonl'));
    expect(logged.at(-1)!.loss).toBeLessThan(logged[0]!.loss * 0.6);
  });
});
