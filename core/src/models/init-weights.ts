import type { HfModelConfig } from './hf-model-config.js';
import type { StoredTensor } from './safetensors-dtype.js';
import { SeededRandom } from '../util/seeded-random.js';
import { tensorSpecs, type TensorSpec } from './tensor-layout.js';

export interface InitWeightsOptions {
  /** Base-model prefix of the tensor names (default: what transformers writes). */
  readonly prefix?: string;
}

/**
 * Random weights initialised as transformers' `_init_weights` does: N(0, initializer_range) for linear
 * and embedding weights, zero biases, unit norm weights, GPT-2's c_proj weights with std
 * initializer_range / sqrt(2·n_layer), and for the Llama family the padding_idx row of the embedding zeroed.
 * Deterministic for a seed: each tensor draws from its own stream named after its canonical name.
 * Returns F32 tensors under Hugging Face names, in module order.
 */
export function initWeights(config: HfModelConfig, seed: number, options: InitWeightsOptions = {}): Map<string, StoredTensor> {
  const out = new Map<string, StoredTensor>();
  for (const s of tensorSpecs(config, options.prefix)) out.set(s.hfName, { dtype: 'F32', shape: s.hfShape, data: initTensor(config, s, seed) });
  return out;
}

/** The standard deviation transformers uses for a tensor of `kind` (0 for constant inits). */
export function initStd(config: HfModelConfig, spec: TensorSpec): number {
  if (spec.init === 'normal-scaled') return config.initializerRange / Math.sqrt(2 * config.numLayers);
  return spec.init === 'normal' || spec.init === 'embedding' ? config.initializerRange : 0;
}

function initTensor(config: HfModelConfig, spec: TensorSpec, seed: number): Float32Array {
  const size = spec.hfShape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(size);
  if (spec.init === 'ones') data.fill(1);
  if (spec.init === 'zeros' || spec.init === 'ones') return data;
  new SeededRandom(seed, spec.canonicalName).fillNormal(data, 0, initStd(config, spec));
  const pad = config.padTokenId;
  if (spec.init === 'embedding' && pad !== null && pad < config.vocabSize) {
    const width = spec.hfShape[1]!;
    data.fill(0, pad * width, (pad + 1) * width);
  }
  return data;
}
