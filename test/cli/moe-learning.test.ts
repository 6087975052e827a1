import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/run-cli.js';
import { tempDir } from '../training/helpers.js';
import { learnSums, prepareSums, sumsSftConfig } from './sums-learning.js';

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
