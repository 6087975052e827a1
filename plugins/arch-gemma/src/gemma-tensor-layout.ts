import { linearSpecs, tensorSpec, type TensorSpec } from '@aligntune/core/models';
import type { GemmaConfig } from './gemma-config.js';

/** A Gemma RMSNorm's weight: zeros at init, since the norm scales by (1 + w). */
function gemmaNormSpec(hf: string, canon: string, size: number): TensorSpec {
  return tensorSpec(`${hf}.weight`, `${canon}.weight`, [size], 'zeros');
}

/** A Gemma 2 / Gemma 3 text model's tensors under `prefix` (`model.`), in module order. */
export function gemmaTensorSpecs(c: GemmaConfig, p: string): TensorSpec[] {
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
    );
    if (c.qkNorm) out.push(gemmaNormSpec(`${hf}.self_attn.q_norm`, `${cn}.attn.q_norm`, c.headDim), gemmaNormSpec(`${hf}.self_attn.k_norm`, `${cn}.attn.k_norm`, c.headDim));
    out.push(
      ...linearSpecs(`${hf}.mlp.gate_proj`, `${cn}.mlp.gate`, h, c.intermediateSize, false),
      ...linearSpecs(`${hf}.mlp.up_proj`, `${cn}.mlp.up`, h, c.intermediateSize, false),
      ...linearSpecs(`${hf}.mlp.down_proj`, `${cn}.mlp.down`, c.intermediateSize, h, false),
      gemmaNormSpec(`${hf}.input_layernorm`, `${cn}.norm1`, h),
      gemmaNormSpec(`${hf}.post_attention_layernorm`, `${cn}.post_attn_norm`, h),
      gemmaNormSpec(`${hf}.pre_feedforward_layernorm`, `${cn}.norm2`, h),
      gemmaNormSpec(`${hf}.post_feedforward_layernorm`, `${cn}.post_mlp_norm`, h),
    );
  }
  out.push(gemmaNormSpec(`${p}norm`, 'final_norm', h));
  return out;
}
