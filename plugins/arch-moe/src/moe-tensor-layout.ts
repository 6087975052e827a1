import { gatedMlpSpecs, linearSpecs, normSpecs, selfAttentionSpecs, tensorSpec, type PreNormDecoderLayout, type TensorSpec } from '@aligntune/core/models';
import type { MoeConfig } from './moe-config.js';

/**
 * How a model type names its sparse block's tensors under `model.layers.N.`: the block, the router and one
 * expert's gate/up/down projections. Mixtral writes `block_sparse_moe.experts.E.w1|w3|w2`, the others
 * `mlp.experts.E.gate_proj|up_proj|down_proj`.
 */
export interface ExpertNaming {
  readonly block: string;
  readonly router: string;
  readonly expert: { readonly gate: string; readonly up: string; readonly down: string };
  /** The order the expert module declares its projections in (the checkpoint's tensor order). */
  readonly order: readonly ('gate' | 'up' | 'down')[];
}

export const MIXTRAL_NAMING: ExpertNaming = { block: 'block_sparse_moe', router: 'gate', expert: { gate: 'w1', up: 'w3', down: 'w2' }, order: ['gate', 'down', 'up'] };
export const QWEN_NAMING: ExpertNaming = { block: 'mlp', router: 'gate', expert: { gate: 'gate_proj', up: 'up_proj', down: 'down_proj' }, order: ['gate', 'up', 'down'] };

/** An MoE model's tensors under `prefix` (`model.`), in module order; canonical names are those `MoeArchitecture` reads. */
export function moeTensorSpecs(naming: ExpertNaming): (c: MoeConfig, p: string) => TensorSpec[] {
  return (c, p) => {
    const h = c.hiddenSize;
    const layout: PreNormDecoderLayout = { ...c, mlpBias: false, qkNorm: c.qkNorm ?? undefined };
    const out = [tensorSpec(`${p}embed_tokens.weight`, 'embed.tokens', [c.vocabSize, h], 'embedding')];
    for (let i = 0; i < c.numLayers; i++) {
      const hf = `${p}layers.${i}`;
      const cn = `layers.${i}`;
      out.push(...normSpecs(`${hf}.input_layernorm`, `${cn}.norm1`, h, false), ...selfAttentionSpecs(layout, `${hf}.self_attn`, `${cn}.attn`));
      out.push(...normSpecs(`${hf}.post_attention_layernorm`, `${cn}.norm2`, h, false));
      out.push(...(c.sparseLayers[i] ? sparseBlockSpecs(c, naming, `${hf}.${naming.block}`, `${cn}.moe`) : gatedMlpSpecs(layout, `${hf}.mlp`, `${cn}.mlp`)));
    }
    out.push(...normSpecs(`${p}norm`, 'final_norm', h, false));
    return out;
  };
}

/** Router, experts, and Qwen2-MoE's shared expert and its one-output gate. */
function sparseBlockSpecs(c: MoeConfig, naming: ExpertNaming, hf: string, cn: string): TensorSpec[] {
  const h = c.hiddenSize;
  const out = linearSpecs(`${hf}.${naming.router}`, `${cn}.router`, h, c.numExperts, false);
  for (let e = 0; e < c.numExperts; e++) out.push(...expertMlpSpecs(naming, `${hf}.experts.${e}`, `${cn}.experts.${e}`, h, c.expertIntermediateSize));
  if (c.sharedExpertIntermediateSize !== null) {
    out.push(...expertMlpSpecs(QWEN_NAMING, `${hf}.shared_expert`, `${cn}.shared`, h, c.sharedExpertIntermediateSize));
    out.push(...linearSpecs(`${hf}.shared_expert_gate`, `${cn}.shared_gate`, h, 1, false));
  }
  return out;
}

/** An expert's bias-free SwiGLU MLP (canonical `<cn>.gate|up|down`) in its model type's names and module order. */
function expertMlpSpecs(naming: ExpertNaming, hf: string, cn: string, h: number, size: number): TensorSpec[] {
  const { gate, up, down } = naming.expert;
  const specs = {
    gate: linearSpecs(`${hf}.${gate}`, `${cn}.gate`, h, size, false),
    up: linearSpecs(`${hf}.${up}`, `${cn}.up`, h, size, false),
    down: linearSpecs(`${hf}.${down}`, `${cn}.down`, size, h, false),
  };
  return naming.order.flatMap((part) => specs[part]);
}
