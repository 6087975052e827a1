import type { Olmo2Config } from '@aligntune/plugin-arch-olmo2';
import { attention } from './ref-attention.js';
import { add, linear, rmsNorm, silu, type Vec } from './ref-math.js';
import { refApplyRope, refRope } from './ref-rope.js';
import type { RefHidden, RefSequence, WeightReader } from './ref-types.js';

/**
 * Olmo2Model for one sequence, written from transformers' modeling_olmo2.py: embed_tokens; per layer
 * x + post_attention_layernorm(attn(x)) with q_norm/k_norm RMSNorms over the whole q_proj/k_proj outputs before
 * RoPE, then x + post_feedforward_layernorm(SwiGLU(x)) (no norm before either sub-block); final norm.
 */
export function olmo2Hidden(c: Olmo2Config, w: WeightReader, seq: RefSequence): RefHidden {
  const p = w.has('model.embed_tokens.weight') ? 'model.' : '';
  let x: Vec[] = seq.ids.map((id) => w.row(`${p}embed_tokens.weight`, c.vocabSize, c.hiddenSize, id));
  for (let l = 0; l < c.numLayers; l++) x = olmo2Block(c, w, `${p}layers.${l}`, x, seq);
  return x.map((xt) => rmsNorm(xt, w.vec(`${p}norm.weight`, c.hiddenSize), c.rmsNormEps));
}

function proj(c: Olmo2Config, w: WeightReader, name: string, x: Vec, inF: number, outF: number, bias = c.attentionBias): Vec {
  return linear(x, w.mat(`${name}.weight`, outF, inF), bias ? w.vec(`${name}.bias`, outF) : undefined);
}

function olmo2Block(c: Olmo2Config, w: WeightReader, p: string, x: Vec[], seq: RefSequence): Vec[] {
  const { hiddenSize: h, headDim: d, numHeads: nh, numKvHeads: nkv } = c;
  const rope = (t: number) => refRope(c.raw, seq.ropeMaxPositions[t]!);
  const normRope = (name: 'q' | 'k', row: Vec, heads: number, t: number) => {
    const n = rmsNorm(row, w.vec(`${p}.self_attn.${name}_norm.weight`, heads * d), c.rmsNormEps);
    const out = new Float64Array(heads * d);
    for (let hd = 0; hd < heads; hd++) out.set(refApplyRope(n.slice(hd * d, (hd + 1) * d), seq.positions[t]!, rope(t)), hd * d);
    return out;
  };
  const q = x.map((a, t) => normRope('q', proj(c, w, `${p}.self_attn.q_proj`, a, h, nh * d), nh, t));
  const k = x.map((a, t) => normRope('k', proj(c, w, `${p}.self_attn.k_proj`, a, h, nkv * d), nkv, t));
  const v = x.map((a) => proj(c, w, `${p}.self_attn.v_proj`, a, h, nkv * d));
  const visible = (t: number, s: number) => s <= t && seq.mask[s] === 1;
  const attn = attention(q, k, v, nh, nkv, d, visible);
  const post = (name: string, y: Vec) => rmsNorm(y, w.vec(`${p}.${name}.weight`, h), c.rmsNormEps);
  const x1 = x.map((xt, t) => add(xt, post('post_attention_layernorm', proj(c, w, `${p}.self_attn.o_proj`, attn[t]!, nh * d, h))));
  return x1.map((xt) => {
    const gate = proj(c, w, `${p}.mlp.gate_proj`, xt, h, c.intermediateSize, false);
    const up = proj(c, w, `${p}.mlp.up_proj`, xt, h, c.intermediateSize, false);
    const act = gate.map((g, i) => silu(g) * up[i]!);
    return add(xt, post('post_feedforward_layernorm', proj(c, w, `${p}.mlp.down_proj`, act, c.intermediateSize, h, false)));
  });
}
