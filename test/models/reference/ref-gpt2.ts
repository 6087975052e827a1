import type { Gpt2Config } from '@aligntune/plugin-arch-gpt2';
import { attention } from './ref-attention.js';
import { add, conv1d, geluNew, layerNorm, type Vec } from './ref-math.js';
import type { RefHidden, RefSequence, WeightReader } from './ref-types.js';

/**
 * GPT2Model (modeling_gpt2.py) for one sequence: wte + wpe, pre-LN blocks (ln_1 → fused c_attn → heads →
 * c_proj; ln_2 → c_fc → gelu_new → c_proj, both residual), ln_f. Conv1D weights are [in, out].
 */
export function gpt2Hidden(c: Gpt2Config, w: WeightReader, seq: RefSequence): RefHidden {
  const p = w.has('transformer.wte.weight') ? 'transformer.' : '';
  const h = c.hiddenSize;
  let x: Vec[] = seq.ids.map((id, t) => add(w.row(`${p}wte.weight`, c.vocabSize, h, id), w.row(`${p}wpe.weight`, c.maxPositionEmbeddings, h, seq.positions[t]!)));
  for (let l = 0; l < c.numLayers; l++) x = gpt2Block(c, w, `${p}h.${l}`, x, seq);
  return x.map((xt) => layerNorm(xt, w.vec(`${p}ln_f.weight`, h), w.vec(`${p}ln_f.bias`, h), c.layerNormEps));
}

function gpt2Block(c: Gpt2Config, w: WeightReader, p: string, x: Vec[], seq: RefSequence): Vec[] {
  const h = c.hiddenSize;
  const ln = (name: string, v: Vec) => layerNorm(v, w.vec(`${p}.${name}.weight`, h), w.vec(`${p}.${name}.bias`, h), c.layerNormEps);
  const qkv = x.map((xt) => conv1d(ln('ln_1', xt), w.mat(`${p}.attn.c_attn.weight`, h, 3 * h), w.vec(`${p}.attn.c_attn.bias`, 3 * h)));
  // c_attn's output splits into q | k | v, each then viewed as [heads, head_dim].
  const q = qkv.map((r) => r.slice(0, h));
  const k = qkv.map((r) => r.slice(h, 2 * h));
  const v = qkv.map((r) => r.slice(2 * h, 3 * h));
  const visible = (t: number, s: number) => s <= t && seq.mask[s] === 1;
  const attn = attention(q, k, v, c.numHeads, c.numHeads, c.headDim, visible);
  const x1 = x.map((xt, t) => add(xt, conv1d(attn[t]!, w.mat(`${p}.attn.c_proj.weight`, h, h), w.vec(`${p}.attn.c_proj.bias`, h))));
  return x1.map((xt) => {
    const up = conv1d(ln('ln_2', xt), w.mat(`${p}.mlp.c_fc.weight`, h, c.intermediateSize), w.vec(`${p}.mlp.c_fc.bias`, c.intermediateSize));
    const down = conv1d(up.map(geluNew), w.mat(`${p}.mlp.c_proj.weight`, c.intermediateSize, h), w.vec(`${p}.mlp.c_proj.bias`, h));
    return add(xt, down);
  });
}
