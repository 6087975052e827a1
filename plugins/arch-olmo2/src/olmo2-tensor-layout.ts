import { linearSpecs, normSpecs, tensorSpec, type TensorSpec } from '@aligntune/core/models';
import type { Olmo2Config } from './olmo2-config.js';

/** An OLMo 2 model's tensors under `prefix` (`model.`), in module order. */
export function olmo2TensorSpecs(c: Olmo2Config, p: string): TensorSpec[] {
  const h = c.hiddenSize;
  const qDim = c.numHeads * c.headDim;
  const kvDim = c.numKvHeads * c.headDim;
  const bias = c.attentionBias;
  const out = [tensorSpec(`${p}embed_tokens.weight`, 'embed.tokens', [c.vocabSize, h], 'embedding')];
  for (let i = 0; i < c.numLayers; i++) {
    const hf = `${p}layers.${i}`;
    const cn = `layers.${i}`;
    out.push(
      ...linearSpecs(`${hf}.self_attn.q_proj`, `${cn}.attn.q`, h, qDim, bias),
      ...linearSpecs(`${hf}.self_attn.k_proj`, `${cn}.attn.k`, h, kvDim, bias),
      ...linearSpecs(`${hf}.self_attn.v_proj`, `${cn}.attn.v`, h, kvDim, bias),
      ...linearSpecs(`${hf}.self_attn.o_proj`, `${cn}.attn.out`, qDim, h, bias),
      ...normSpecs(`${hf}.self_attn.q_norm`, `${cn}.attn.q_norm`, qDim, false),
      ...normSpecs(`${hf}.self_attn.k_norm`, `${cn}.attn.k_norm`, kvDim, false),
      ...linearSpecs(`${hf}.mlp.gate_proj`, `${cn}.mlp.gate`, h, c.intermediateSize, false),
      ...linearSpecs(`${hf}.mlp.up_proj`, `${cn}.mlp.up`, h, c.intermediateSize, false),
      ...linearSpecs(`${hf}.mlp.down_proj`, `${cn}.mlp.down`, c.intermediateSize, h, false),
      ...normSpecs(`${hf}.post_attention_layernorm`, `${cn}.post_attn_norm`, h, false),
      ...normSpecs(`${hf}.post_feedforward_layernorm`, `${cn}.post_mlp_norm`, h, false),
    );
  }
  out.push(...normSpecs(`${p}norm`, 'final_norm', h, false));
  return out;
}
