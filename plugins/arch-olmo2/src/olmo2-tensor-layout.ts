import { gatedMlpSpecs, normSpecs, selfAttentionSpecs, tensorSpec, type PreNormDecoderLayout, type TensorSpec } from '@aligntune/core/models';
import type { Olmo2Config } from './olmo2-config.js';

/** An OLMo 2 model's tensors under `prefix` (`model.`), in module order. */
export function olmo2TensorSpecs(c: Olmo2Config, p: string): TensorSpec[] {
  const h = c.hiddenSize;
  // RMSNorms over the whole q and k projections, not per head
  const layout: PreNormDecoderLayout = { ...c, qkvBias: c.attentionBias, outBias: c.attentionBias, mlpBias: false, qkNorm: 'projection' };
  const out = [tensorSpec(`${p}embed_tokens.weight`, 'embed.tokens', [c.vocabSize, h], 'embedding')];
  for (let i = 0; i < c.numLayers; i++) {
    const hf = `${p}layers.${i}`;
    const cn = `layers.${i}`;
    out.push(
      ...selfAttentionSpecs(layout, `${hf}.self_attn`, `${cn}.attn`),
      ...gatedMlpSpecs(layout, `${hf}.mlp`, `${cn}.mlp`),
      ...normSpecs(`${hf}.post_attention_layernorm`, `${cn}.post_attn_norm`, h, false),
      ...normSpecs(`${hf}.post_feedforward_layernorm`, `${cn}.post_mlp_norm`, h, false),
    );
  }
  out.push(...normSpecs(`${p}norm`, 'final_norm', h, false));
  return out;
}
