import { Architecture } from '@aligntune/core/kernel';
import { type Graph, type Tensor } from '@aligntune/core/engine';
import { embedTokens, linear, splitHeads, type DecoderInputs, type ModelArchitecture, type WeightSource } from '@aligntune/core/models';
import type { LlamaConfig } from './llama-config.js';
import { LLAMA_MODEL_TYPES } from './llama-model-types.js';
import { applyRotary, rotaryTables } from './rotary.js';

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
    const rope = rotaryTables(g, config, inputs.positionIds, x.dtype);
    for (let i = 0; i < config.numLayers; i++) {
      const p = `layers.${i}`;
      x = g.add(x, this.attention(g, config, w, inputs, i, g.rmsNorm(x, w(`${p}.norm1.weight`), eps), rope));
      const h = g.rmsNorm(x, w(`${p}.norm2.weight`), eps);
      const gated = g.mul(g.silu(linear(g, h, w, `${p}.mlp.gate`, config.mlpBias)), linear(g, h, w, `${p}.mlp.up`, config.mlpBias));
      x = g.add(x, linear(g, gated, w, `${p}.mlp.down`, config.mlpBias));
    }
    return g.rmsNorm(x, w('final_norm.weight'), eps);
  }

  private attention(g: Graph, c: LlamaConfig, w: WeightSource, inputs: DecoderInputs, layer: number, h: Tensor, rope: { cos: Tensor; sin: Tensor }): Tensor {
    const p = `layers.${layer}.attn`;
    let q = splitHeads(g, linear(g, h, w, `${p}.q`, c.qkvBias), c.numHeads, c.headDim);
    let k = splitHeads(g, linear(g, h, w, `${p}.k`, c.qkvBias), c.numKvHeads, c.headDim);
    const v = splitHeads(g, linear(g, h, w, `${p}.v`, c.qkvBias), c.numKvHeads, c.headDim);
    if (c.qkNorm) {
      q = g.rmsNorm(q, w(`${p}.q_norm.weight`), c.rmsNormEps);
      k = g.rmsNorm(k, w(`${p}.k_norm.weight`), c.rmsNormEps);
    }
    q = applyRotary(g, q, rope.cos, rope.sin);
    k = applyRotary(g, k, rope.cos, rope.sin);
    return linear(g, inputs.attention.attend(layer, q, k, v), w, `${p}.out`, c.outBias);
  }
}
