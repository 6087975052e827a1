import { fromCanonicalWeights, loadModel, storeFrozen, weightStorage, type ModelConfig } from '@aligntune/core';
import { trainingKernel } from './helpers.js';

/**
 * A frozen model's weights as a run stores them (model.precision / model.quantization), dequantized, under the
 * checkpoint's names (float64): what a reference forward must read to match a run whose frozen weights are stored.
 */
export async function storedWeights(dir: string, model: Pick<ModelConfig, 'precision' | 'quantization'>): Promise<Map<string, Float64Array>> {
  const loaded = await loadModel(dir, { kernel: trainingKernel() });
  const stored = storeFrozen(loaded, weightStorage(model, loaded.config));
  const hf = fromCanonicalWeights(stored.config, stored.canonicalWeights(), { prefix: stored.prefix });
  return new Map([...hf].map(([name, t]) => [name, Float64Array.from(t.data as Float32Array)]));
}
