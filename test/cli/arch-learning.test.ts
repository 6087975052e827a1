import { describe, expect, it } from 'vitest';
import { tempDir } from '../training/helpers.js';
import { learnSums } from '../helpers/sums-learning.js';

/**
 * A learning test per architecture family, through the CLI: a `model init` tiny preset learns the demo's sums. At
 * initialisation the loss is about log(vocabulary) ≈ 6; learning the answer format and the digits halves it.
 */
describe('architecture families learn the demo sums through the CLI', () => {
  for (const modelType of ['gemma2', 'gemma3_text', 'olmo2']) {
    it(`${modelType}`, { timeout: 120_000 }, async () => {
      const { losses, evalLoss } = await learnSums(tempDir(), modelType, 60);
      expect(losses[0]).toBeGreaterThan(4);
      expect(losses.at(-1)!).toBeLessThan(losses[0]! * 0.5);
      expect(evalLoss).toBeLessThan(losses[0]! * 0.5); // held-out sums, never trained on
    });
  }
});
