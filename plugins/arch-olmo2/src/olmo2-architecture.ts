import { Architecture } from '@aligntune/core/kernel';
import { type Graph, type Tensor } from '@aligntune/core/engine';
import { embedTokens, gatedMlp, ropeTables, selfAttention, type DecoderInputs, type ModelArchitecture, type WeightSource } from '@aligntune/core/models';
import type { Olmo2Config } from './olmo2-config.js';
import { OLMO2_MODEL_TYPES } from './olmo2-model-types.js';

/**
 * OLMo 2: the residual adds norm(attention(x)) and norm(mlp(x)) (RMSNorm after each sub-block, none before), with
 * queries and keys RMS-normed over the whole projection before RoPE; SwiGLU MLP, final norm.
 */
@Architecture({ modelTypes: OLMO2_MODEL_TYPES })
export class Olmo2Architecture implements ModelArchitecture<Olmo2Config> {
  buildDecoder(g: Graph, c: Olmo2Config, w: WeightSource, inputs: DecoderInputs): Tensor {
    const eps = c.rmsNormEps;
    let x = embedTokens(g, w, inputs.inputIds);
    const rope = ropeTables(g, c, c.headDim, inputs.positionIds, x.dtype);
    const attention = { numHeads: c.numHeads, numKvHeads: c.numKvHeads, headDim: c.headDim, qkvBias: c.attentionBias, outBias: c.attentionBias, normEps: eps, rope, qkNorm: 'projection' as const };
    for (let i = 0; i < c.numLayers; i++) {
      const p = `layers.${i}`;
      x = g.add(x, g.rmsNorm(selfAttention(g, w, inputs, i, x, attention), w(`${p}.post_attn_norm.weight`), eps));
      x = g.add(x, g.rmsNorm(gatedMlp(g, w, x, `${p}.mlp`, (t) => g.silu(t), false), w(`${p}.post_mlp_norm.weight`), eps));
    }
    return g.rmsNorm(x, w('final_norm.weight'), eps);
  }
}
