import { Architecture } from '@aligntune/core/kernel';
import { type Graph, type Tensor } from '@aligntune/core/engine';
import { preNormDecoder, type DecoderInputs, type ModelArchitecture, type WeightSource } from '@aligntune/core/models';
import { smolLM3Layout, type SmolLM3Config } from './smollm3-config.js';
import { SMOLLM3_MODEL_TYPES } from './smollm3-model-types.js';

/** SmolLM3: Llama's pre-norm block (GQA, SwiGLU, RMSNorm) with RoPE skipped in the layers `no_rope_layers` marks 0. */
@Architecture({ modelTypes: SMOLLM3_MODEL_TYPES })
export class SmolLM3Architecture implements ModelArchitecture<SmolLM3Config> {
  buildDecoder(g: Graph, config: SmolLM3Config, w: WeightSource, inputs: DecoderInputs): Tensor {
    return preNormDecoder(g, w, inputs, { ...smolLM3Layout(config), normEps: config.rmsNormEps, rope: config, ropeLayers: config.ropeLayers });
  }
}
