import { attentionProjectionSpecs, gatedMlpSpecs, normSpecs, tensorSpec, type TensorSpec } from '@aligntune/core/models';
import type { Olmo2Config } from './olmo2-config.js';

/** An OLMo 2 model's tensors under `prefix` (`model.`), in module order. */
export function olmo2TensorSpecs(c: Olmo2Config, p: string): TensorSpec[] {
  const h = c.hiddenSize;
  const out = [tensorSpec(`${p}embed_tokens.weight`, 'embed.tokens', [c.vocabSize, h], 'embedding')];
  for (let i = 0; i < c.numLayers; i++) {
    const hf = `${p}layers.${i}`;
    const cn = `layers.${i}`;
    out.push(
      ...attentionProjectionSpecs(hf, cn, c, c.attentionBias, c.attentionBias),
      // RMSNorms over the whole q and k projections, not per head
      ...normSpecs(`${hf}.self_attn.q_norm`, `${cn}.attn.q_norm`, c.numHeads * c.headDim, false),
      ...normSpecs(`${hf}.self_attn.k_norm`, `${cn}.attn.k_norm`, c.numKvHeads * c.headDim, false),
      ...gatedMlpSpecs(hf, cn, h, c.intermediateSize, false),
      ...normSpecs(`${hf}.post_attention_layernorm`, `${cn}.post_attn_norm`, h, false),
      ...normSpecs(`${hf}.post_feedforward_layernorm`, `${cn}.post_mlp_norm`, h, false),
    );
  }
  out.push(...normSpecs(`${p}norm`, 'final_norm', h, false));
  return out;
}
