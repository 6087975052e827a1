import { Architecture } from '@aligntune/core/kernel';
import { type Graph, type Tensor } from '@aligntune/core/engine';
import { embedTokens, gatedMlp, ropeTables, selfAttention, type DecoderInputs, type ModelArchitecture, type SelfAttentionSpec, type WeightSource } from '@aligntune/core/models';
import { loadBalancingLoss } from './load-balancing-loss.js';
import type { MoeConfig } from './moe-config.js';
import { MOE_MODEL_TYPES } from './moe-model-types.js';
import { sparseMoeBlock, type Routing } from './sparse-moe-block.js';

/**
 * Mixtral, Qwen2-MoE, Qwen3-MoE and OLMoE: Llama-lineage pre-norm blocks (core's selfAttention with Qwen3-MoE's
 * per-head or OLMoE's whole-projection q/k norm) whose MLP is a routed mixture of experts (sparseMoeBlock), or a
 * dense MLP on Qwen's `mlp_only_layers`. With `output_router_logits`, training forwards add the router
 * load-balancing loss as the auxiliary loss `aux_loss` (coefficient `router_aux_loss_coef`).
 */
@Architecture({ modelTypes: MOE_MODEL_TYPES })
export class MoeArchitecture implements ModelArchitecture<MoeConfig> {
  buildDecoder(g: Graph, config: MoeConfig, w: WeightSource, inputs: DecoderInputs): Tensor {
    const eps = config.rmsNormEps;
    let x = embedTokens(g, w, inputs.inputIds);
    const attention = attentionSpec(config, ropeTables(g, config, config.headDim, inputs.positionIds, x.dtype));
    const routings: Routing[] = [];
    for (let i = 0; i < config.numLayers; i++) {
      const p = `layers.${i}`;
      x = g.add(x, selfAttention(g, w, inputs, i, g.rmsNorm(x, w(`${p}.norm1.weight`), eps), attention));
      const h = g.rmsNorm(x, w(`${p}.norm2.weight`), eps);
      if (!config.sparseLayers[i]) {
        x = g.add(x, gatedMlp(g, w, h, `${p}.mlp`, (t) => g.silu(t), false));
        continue;
      }
      const { out, routing } = sparseMoeBlock(g, w, h, `${p}.moe`, config);
      routings.push(routing);
      x = g.add(x, out);
    }
    if (inputs.auxiliary && config.routerAuxLossCoef !== null && routings.length > 0) {
      const value = loadBalancingLoss(g, routings, inputs.auxiliary.attentionMask, config.numExperts);
      inputs.auxiliary.losses.push({ name: 'aux_loss', value, coefficient: config.routerAuxLossCoef });
    }
    return g.rmsNorm(x, w('final_norm.weight'), eps);
  }
}

function attentionSpec(config: MoeConfig, rope: SelfAttentionSpec['rope']): SelfAttentionSpec {
  return {
    numHeads: config.numHeads,
    numKvHeads: config.numKvHeads,
    headDim: config.headDim,
    qkvBias: config.qkvBias,
    outBias: config.outBias,
    normEps: config.rmsNormEps,
    rope,
    ...(config.qkNorm ? { qkNorm: config.qkNorm } : {}),
  };
}
