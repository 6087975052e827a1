import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { readSafetensors } from '@aligntune/core';
import { cli } from '../helpers/run-cli.js';
import { prepareSums, sumsSftConfig } from '../helpers/sums-learning.js';
import { readModelConfig } from '../models/model-types.js';
import { completionLogps } from '../training/reference-losses.js';
import { readMetrics, tempDir } from '../training/helpers.js';
import { storedWeights } from '../training/stored-weights.js';
import { effectiveWeights, float64, type PeftFixture } from './lora-helpers.js';

const NF4 = { load_in_4bit: true, bnb_4bit_quant_type: 'nf4', block_size: 32 };

describe('QLoRA through the CLI', () => {
  // SFT alone freezes nothing, so without LoRA this quantization is refused (test/cli/frozen-storage.test.ts); with
  // LoRA the base is what it stores. The head trains in full, as in lora-cli.test.ts (a fresh tiny model's head is tiny).
  it('SFT with LoRA over a 4-bit nf4 base learns the sums: the adapter on the dequantized base halves the answers\' NLL', { timeout: 120_000 }, async () => {
    const dir = tempDir();
    const { model, tokenizer, test } = await prepareSums(dir, 'llama');
    const file = sumsSftConfig(dir, model, 40, { learning_rate: 1e-2 });
    const config = parse(readFileSync(file, 'utf8')) as { model: Record<string, unknown> };
    config.model = { ...config.model, quantization: NF4, peft: { r: 8, lora_alpha: 16, target_modules: 'all-linear', modules_to_save: ['lm_head'] } };
    writeFileSync(file, stringify(config));
    const run = await cli('train', '--config', file);
    expect(run.code, run.stderr).toBe(0);

    const { tensors: adapter } = await readSafetensors(join(dir, 'out/final/adapter_model.safetensors'));
    const config64 = await readModelConfig(model);
    const { tensors: written } = await readSafetensors(join(model, 'model.safetensors'));
    const fixture: PeftFixture = { r: 8, alpha: 16, tensors: adapter, modules: [...adapter.keys()].filter((n) => n.endsWith('lora_A.weight')).map((n) => {
      const path = n.slice('base_model.model.'.length, -'.lora_A.weight'.length);
      const [outF, inF] = written.get(`${path}.weight`)!.shape as [number, number];
      return { path, inF, outF, conv1d: false };
    }) };
    expect(fixture.modules.length).toBe(config64.numLayers * 7);
    const base = await storedWeights(model, { precision: 'auto', quantization: NF4 });
    const answers = test.map((p) => ({ prompt: tokenizer.encode(p.prompt), completion: [...tokenizer.encode(p.answer, { addSpecialTokens: false }), tokenizer.eosTokenId!] }));
    const nll = (w: Map<string, Float64Array>) => -completionLogps(config64, w, answers).reduce((a, b) => a + b, 0) / answers.reduce((n, a) => n + a.completion.length, 0);
    expect(nll(effectiveWeights(base, fixture, float64(adapter)))).toBeLessThan(nll(base) * 0.5);
    const logged = readMetrics(join(dir, 'out/metrics.jsonl'));
    expect(logged.at(-1)!.loss).toBeLessThan(logged[0]!.loss * 0.6);
  });
});
