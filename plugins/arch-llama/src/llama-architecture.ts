import { Architecture } from '@aligntune/core/kernel';
import { type Graph, type Tensor } from '@aligntune/core/engine';
import { embedTokens, gatedMlp, ropeTables, selfAttention, type DecoderInputs, type ModelArchitecture, type WeightSource } from '@aligntune/core/models';
import type { LlamaConfig } from './llama-config.js';
import { LLAMA_MODEL_TYPES } from './llama-model-types.js';

/**
 * Llama, Mistral, Qwen2 and Qwen3: RMSNorm, RoPE, grouped-query attention, SwiGLU MLP. Qwen2 adds q/k/v
 * biases, Qwen3 per-head RMSNorm of queries and keys (before RoPE); Mistral's sliding window is applied
 * by core's attention mask. Tied or untied lm_head is core's.
 */
@Architecture({ modelTypes: LLAMA_MODEL_TYPES })
export class LlamaArchitecture implements ModelArchitecture<LlamaConfig> {
  buildDecoder(g: Graph, config: LlamaConfig, w: WeightSource, inputs: DecoderInputs): Tensor {
    const eps = config.rmsNormEps;
    let x = embedTokens(g, w, inputs.inputIds);
    const rope = ropeTables(g, config, config.headDim, inputs.positionIds, x.dtype);
    const attention = {
      numHeads: config.numHeads,
      numKvHeads: config.numKvHeads,
      headDim: config.headDim,
      qkvBias: config.qkvBias,
      outBias: config.outBias,
      normEps: eps,
      rope,
      ...(config.qkNorm ? { qkNorm: 'head' as const } : {}),
    };
    for (let i = 0; i < config.numLayers; i++) {
      const p = `layers.${i}`;
      x = g.add(x, selfAttention(g, w, inputs, i, g.rmsNorm(x, w(`${p}.norm1.weight`), eps), attention));
      x = g.add(x, gatedMlp(g, w, g.rmsNorm(x, w(`${p}.norm2.weight`), eps), `${p}.mlp`, (t) => g.silu(t), config.mlpBias));
    }
    return g.rmsNorm(x, w('final_norm.weight'), eps);
  }
}
