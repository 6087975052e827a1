import { normSpecs, tensorSpec, type TensorSpec } from '@aligntune/core/models';
import type { Gpt2Config } from './gpt2-config.js';

/** GPT-2's tensors under `prefix` (`transformer.`, or none in the original repository), in module order. */
export function gpt2TensorSpecs(c: Gpt2Config, p: string): TensorSpec[] {
  const h = c.hiddenSize;
  const out = [tensorSpec(`${p}wte.weight`, 'embed.tokens', [c.vocabSize, h], 'normal'), tensorSpec(`${p}wpe.weight`, 'embed.positions', [c.maxPositionEmbeddings, h], 'normal')];
  for (let i = 0; i < c.numLayers; i++) {
    const hf = `${p}h.${i}`;
    const cn = `layers.${i}`;
    out.push(
      ...normSpecs(`${hf}.ln_1`, `${cn}.norm1`, h, true),
      // Conv1D weights are [in, out]: the canonical layout already.
      tensorSpec(`${hf}.attn.c_attn.weight`, `${cn}.attn.qkv.weight`, [h, 3 * h], 'normal'),
      tensorSpec(`${hf}.attn.c_attn.bias`, `${cn}.attn.qkv.bias`, [3 * h], 'zeros'),
      tensorSpec(`${hf}.attn.c_proj.weight`, `${cn}.attn.out.weight`, [h, h], 'normal-scaled'),
      tensorSpec(`${hf}.attn.c_proj.bias`, `${cn}.attn.out.bias`, [h], 'zeros'),
      ...normSpecs(`${hf}.ln_2`, `${cn}.norm2`, h, true),
      tensorSpec(`${hf}.mlp.c_fc.weight`, `${cn}.mlp.up.weight`, [h, c.intermediateSize], 'normal'),
      tensorSpec(`${hf}.mlp.c_fc.bias`, `${cn}.mlp.up.bias`, [c.intermediateSize], 'zeros'),
      tensorSpec(`${hf}.mlp.c_proj.weight`, `${cn}.mlp.down.weight`, [c.intermediateSize, h], 'normal-scaled'),
      tensorSpec(`${hf}.mlp.c_proj.bias`, `${cn}.mlp.down.bias`, [h], 'zeros'),
    );
  }
  out.push(...normSpecs(`${p}ln_f`, 'final_norm', h, true));
  return out;
}
