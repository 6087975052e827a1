import { linearSpecs, normSpecs, tensorSpec, type TensorSpec } from '@aligntune/core/models';
import type { LlamaConfig } from './llama-config.js';

/** A Llama-family model's tensors under `prefix` (`model.`), in module order. */
export function llamaTensorSpecs(c: LlamaConfig, p: string): TensorSpec[] {
  const h = c.hiddenSize;
  const qDim = c.numHeads * c.headDim;
  const kvDim = c.numKvHeads * c.headDim;
  const out = [tensorSpec(`${p}embed_tokens.weight`, 'embed.tokens', [c.vocabSize, h], 'embedding')];
  for (let i = 0; i < c.numLayers; i++) {
    const hf = `${p}layers.${i}`;
    const cn = `layers.${i}`;
    out.push(
      ...normSpecs(`${hf}.input_layernorm`, `${cn}.norm1`, h, false),
      ...linearSpecs(`${hf}.self_attn.q_proj`, `${cn}.attn.q`, h, qDim, c.qkvBias),
      ...linearSpecs(`${hf}.self_attn.k_proj`, `${cn}.attn.k`, h, kvDim, c.qkvBias),
      ...linearSpecs(`${hf}.self_attn.v_proj`, `${cn}.attn.v`, h, kvDim, c.qkvBias),
      ...linearSpecs(`${hf}.self_attn.o_proj`, `${cn}.attn.out`, qDim, h, c.outBias),
    );
    if (c.qkNorm) out.push(...normSpecs(`${hf}.self_attn.q_norm`, `${cn}.attn.q_norm`, c.headDim, false), ...normSpecs(`${hf}.self_attn.k_norm`, `${cn}.attn.k_norm`, c.headDim, false));
    out.push(
      ...normSpecs(`${hf}.post_attention_layernorm`, `${cn}.norm2`, h, false),
      ...linearSpecs(`${hf}.mlp.gate_proj`, `${cn}.mlp.gate`, h, c.intermediateSize, c.mlpBias),
      ...linearSpecs(`${hf}.mlp.up_proj`, `${cn}.mlp.up`, h, c.intermediateSize, c.mlpBias),
      ...linearSpecs(`${hf}.mlp.down_proj`, `${cn}.mlp.down`, c.intermediateSize, h, c.mlpBias),
    );
  }
  out.push(...normSpecs(`${p}norm`, 'final_norm', h, false));
  return out;
}
