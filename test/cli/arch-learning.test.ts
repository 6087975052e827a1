import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { cli } from '../helpers/run-cli.js';
import { learnSums, prepareSums, sumsSftConfig } from '../helpers/sums-learning.js';
import { tempDir } from '../training/helpers.js';

/** The train section of configs/sft-demo.yaml: the demo's first stage (completion-only loss, cosine schedule). */
const SFT_DEMO_TRAIN = (parse(readFileSync(resolve(import.meta.dirname, '../../configs/sft-demo.yaml'), 'utf8')) as { train: Record<string, unknown> }).train;

/**
 * A learning test per architecture family, through the CLI: a `model init` tiny preset learns the demo's sums. At
 * initialisation the loss is about log(vocabulary) ≈ 6; learning the answer format and the digits halves it.
 */
describe('architecture families learn the demo sums through the CLI', () => {
  for (const modelType of ['gemma2', 'gemma3_text', 'olmo2']) {
    it(`${modelType}`, { timeout: 120_000 }, async () => {
      const { losses, nllAfter } = await learnSums(tempDir(), modelType, { steps: 60, train: SFT_DEMO_TRAIN });
      expect(losses[0]).toBeGreaterThan(4);
      expect(losses.at(-1)!).toBeLessThan(losses[0]! * 0.5);
      expect(nllAfter).toBeLessThan(losses[0]! * 0.5); // held-out sums, never trained on
    });
  }
});

describe('mixture-of-experts models learn the demo sums through the CLI (model init → train)', () => {
  for (const arch of ['mixtral', 'qwen2_moe', 'qwen3_moe', 'olmoe']) {
    it(`${arch}: held-out answer NLL drops clearly, with the router aux loss switched on in config.json and logged`, { timeout: 120_000 }, async () => {
      const { nllBefore, nllAfter, logged } = await learnSums(tempDir(), arch, { steps: 40, configJson: { output_router_logits: true, router_aux_loss_coef: 0.01 } });
      expect(nllBefore).toBeGreaterThan(4); // ≈ log(vocab) at initialisation
      expect(nllAfter).toBeLessThan(nllBefore * 0.5);
      const aux = logged.map((r) => r.aux_loss!);
      expect(aux.every((v) => Number.isFinite(v) && v >= 1)).toBe(true); // E · Σ f·P is at least 1 (reached when balanced)
      expect(logged.at(-1)!.loss).toBeLessThan(logged[0]!.loss * 0.6);
    });
  }
});

describe('aligntune train with an MoE config.json the engine cannot run', () => {
  it('exits 2 naming the file and the field (router_jitter_noise)', async () => {
    const dir = tempDir();
    const { model } = await prepareSums(dir, 'mixtral', { router_jitter_noise: 0.01 });
    const run = await cli('train', '--config', sumsSftConfig(dir, model, 1));
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`${join(model, 'config.json')}: field "router_jitter_noise": random router jitter in training is not supported (set it to 0)`);
  });
});
