import { Architecture } from '@aligntune/core/kernel';
import { type Graph, type Tensor } from '@aligntune/core/engine';
import { preNormDecoder, type DecoderInputs, type ModelArchitecture, type WeightSource } from '@aligntune/core/models';
import { phi3Layout, type Phi3Config } from './phi3-config.js';
import { PHI3_MODEL_TYPES } from './phi3-model-types.js';

/**
 * Phi-3 / Phi-3.5 / Phi-4-mini: Llama's pre-norm block with the q/k/v and gate/up projections fused (split in the
 * graph, so checkpoints load and save under transformers' names), RoPE over the first partial_rotary_factor of
 * each head, LongRoPE's short/long factors chosen per forward, and the sliding window from config.json.
 */
@Architecture({ modelTypes: PHI3_MODEL_TYPES })
export class Phi3Architecture implements ModelArchitecture<Phi3Config> {
  buildDecoder(g: Graph, config: Phi3Config, w: WeightSource, inputs: DecoderInputs): Tensor {
    return preNormDecoder(g, w, inputs, { ...phi3Layout(config), normEps: config.rmsNormEps, rope: config });
  }
}
