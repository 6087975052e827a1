import { Architecture } from '@aligntune/core/kernel';
import { type Graph, type Tensor } from '@aligntune/core/engine';
import { embedTokens, linear, splitHeads, type DecoderInputs, type ModelArchitecture, type WeightSource } from '@aligntune/core/models';
import type { Gpt2Config } from './gpt2-config.js';
import { GPT2_MODEL_TYPES } from './gpt2-model-types.js';

/**
 * GPT-2, DialoGPT and distilgpt2: learned positions, pre-LN blocks with LayerNorm, fused QKV (Conv1D,
 * already [in, out] in the canonical layout), gelu_new MLP, final LayerNorm. Tied lm_head is core's.
 */
@Architecture({ modelTypes: GPT2_MODEL_TYPES })
export class Gpt2Architecture implements ModelArchitecture<Gpt2Config> {
  buildDecoder(g: Graph, config: Gpt2Config, w: WeightSource, inputs: DecoderInputs): Tensor {
    const eps = config.layerNormEps;
    let x = g.add(embedTokens(g, w, inputs.inputIds), g.gather(w('embed.positions'), inputs.positionIds, 0));
    for (let i = 0; i < config.numLayers; i++) {
      const p = `layers.${i}`;
      x = g.add(x, this.attention(g, config, w, inputs, i, g.layerNorm(x, w(`${p}.norm1.weight`), w(`${p}.norm1.bias`), eps)));
      const h = g.layerNorm(x, w(`${p}.norm2.weight`), w(`${p}.norm2.bias`), eps);
      x = g.add(x, linear(g, g.gelu(linear(g, h, w, `${p}.mlp.up`, true)), w, `${p}.mlp.down`, true));
    }
    return g.layerNorm(x, w('final_norm.weight'), w('final_norm.bias'), eps);
  }

  private attention(g: Graph, config: Gpt2Config, w: WeightSource, inputs: DecoderInputs, layer: number, h: Tensor): Tensor {
    const { hiddenSize: d, numHeads, headDim } = config;
    const qkv = linear(g, h, w, `layers.${layer}.attn.qkv`, true);
    const [q, k, v] = g.split(qkv, 2, [d, d, d]).map((t) => splitHeads(g, t, numHeads, headDim)) as [Tensor, Tensor, Tensor];
    return linear(g, inputs.attention.attend(layer, q, k, v), w, `layers.${layer}.attn.out`, true);
  }
}
