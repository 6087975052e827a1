import { gatedMlpSpecs, selfAttentionSpecs, tensorSpec, type PreNormDecoderLayout, type TensorSpec } from '@aligntune/core/models';
import type { GemmaConfig } from './gemma-config.js';

/** A Gemma RMSNorm's weight: zeros at init, since the norm scales by (1 + w). */
function gemmaNormSpec(hf: string, canon: string, size: number): TensorSpec {
  return tensorSpec(`${hf}.weight`, `${canon}.weight`, [size], 'zeros');
}

/** A Gemma 2 / Gemma 3 text model's tensors under `prefix` (`model.`), in module order. */
export function gemmaTensorSpecs(c: GemmaConfig, p: string): TensorSpec[] {
  const h = c.hiddenSize;
  // q/k norms are Gemma's own (zeros at init), so the shared specs lay out the projections only
  const layout: PreNormDecoderLayout = { ...c, qkvBias: c.attentionBias, outBias: c.attentionBias, mlpBias: false, qkNorm: undefined };
  const out = [tensorSpec(`${p}embed_tokens.weight`, 'embed.tokens', [c.vocabSize, h], 'embedding')];
  for (let i = 0; i < c.numLayers; i++) {
    const hf = `${p}layers.${i}`;
    const cn = `layers.${i}`;
    out.push(...selfAttentionSpecs(layout, `${hf}.self_attn`, `${cn}.attn`));
    if (c.qkNorm) out.push(gemmaNormSpec(`${hf}.self_attn.q_norm`, `${cn}.attn.q_norm`, c.headDim), gemmaNormSpec(`${hf}.self_attn.k_norm`, `${cn}.attn.k_norm`, c.headDim));
    out.push(
      ...gatedMlpSpecs(layout, `${hf}.mlp`, `${cn}.mlp`),
      gemmaNormSpec(`${hf}.input_layernorm`, `${cn}.norm1`, h),
      gemmaNormSpec(`${hf}.post_attention_layernorm`, `${cn}.post_attn_norm`, h),
      gemmaNormSpec(`${hf}.pre_feedforward_layernorm`, `${cn}.norm2`, h),
      gemmaNormSpec(`${hf}.post_feedforward_layernorm`, `${cn}.post_mlp_norm`, h),
    );
  }
  out.push(gemmaNormSpec(`${p}norm`, 'final_norm', h));
  return out;
}
