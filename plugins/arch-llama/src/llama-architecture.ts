import { Architecture } from '@aligntune/core/kernel';
import { type Graph, type Tensor } from '@aligntune/core/engine';
import { preNormDecoder, type DecoderInputs, type ModelArchitecture, type WeightSource } from '@aligntune/core/models';
import { llamaLayout, type LlamaConfig } from './llama-config.js';
import { LLAMA_MODEL_TYPES } from './llama-model-types.js';

/**
 * Llama (2, 3.x), Mistral, Qwen2 and Qwen3: RMSNorm, RoPE (any of core's scaling types: Llama 3.1's `llama3`,
 * Qwen's `yarn`), grouped-query attention, SwiGLU MLP. Qwen2 adds q/k/v biases, Qwen3 per-head RMSNorm of
 * queries and keys (before RoPE); Mistral's sliding window is applied by core's attention mask. Tied or
 * untied lm_head is core's.
 */
@Architecture({ modelTypes: LLAMA_MODEL_TYPES })
export class LlamaArchitecture implements ModelArchitecture<LlamaConfig> {
  buildDecoder(g: Graph, config: LlamaConfig, w: WeightSource, inputs: DecoderInputs): Tensor {
    return preNormDecoder(g, w, inputs, { ...llamaLayout(config), normEps: config.rmsNormEps, rope: config });
  }
}
