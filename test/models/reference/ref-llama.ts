import type { LlamaConfig } from '@aligntune/plugin-arch-llama';
import { attention } from './ref-attention.js';
import { add, linear, rmsNorm, rope, silu, type Vec } from './ref-math.js';
import type { RefHidden, RefSequence, WeightReader } from './ref-types.js';

/**
 * LlamaModel / MistralModel / Qwen2Model / Qwen3Model for one sequence: embed_tokens, pre-RMSNorm blocks
 * (q/k/v projections, Qwen3's per-head q_norm/k_norm before RoPE, RoPE, GQA attention, o_proj; SwiGLU
 * MLP), final norm. nn.Linear weights are [out, in].
 */
export function llamaHidden(c: LlamaConfig, w: WeightReader, seq: RefSequence): RefHidden {
  const p = w.has('model.embed_tokens.weight') ? 'model.' : '';
  let x: Vec[] = seq.ids.map((id) => w.row(`${p}embed_tokens.weight`, c.vocabSize, c.hiddenSize, id));
  for (let l = 0; l < c.numLayers; l++) x = llamaBlock(c, w, `${p}layers.${l}`, x, seq);
  return x.map((xt) => rmsNorm(xt, w.vec(`${p}norm.weight`, c.hiddenSize), c.rmsNormEps));
}

export function proj(w: WeightReader, name: string, x: Vec, inF: number, outF: number, bias: boolean): Vec {
  return linear(x, w.mat(`${name}.weight`, outF, inF), bias ? w.vec(`${name}.bias`, outF) : undefined);
}

/** Applies `f` to each head_dim slice of a [heads·d] row. */
export function perHead(row: Vec, heads: number, d: number, f: (head: Vec) => Vec): Vec {
  const out = new Float64Array(heads * d);
  for (let h = 0; h < heads; h++) out.set(f(row.slice(h * d, (h + 1) * d)), h * d);
  return out;
}

function llamaBlock(c: LlamaConfig, w: WeightReader, p: string, x: Vec[], seq: RefSequence): Vec[] {
  const { hiddenSize: h, headDim: d, numHeads: nh, numKvHeads: nkv } = c;
  const factor = c.ropeScaling?.factor ?? 1;
  const normed = x.map((xt) => rmsNorm(xt, w.vec(`${p}.input_layernorm.weight`, h), c.rmsNormEps));
  const prep = (name: 'q' | 'k', row: Vec, heads: number, t: number) =>
    perHead(row, heads, d, (head) => {
      const n = c.qkNorm ? rmsNorm(head, w.vec(`${p}.self_attn.${name}_norm.weight`, d), c.rmsNormEps) : head;
      return rope(n, seq.positions[t]!, c.ropeTheta, factor);
    });
  const q = normed.map((a, t) => prep('q', proj(w, `${p}.self_attn.q_proj`, a, h, nh * d, c.qkvBias), nh, t));
  const k = normed.map((a, t) => prep('k', proj(w, `${p}.self_attn.k_proj`, a, h, nkv * d, c.qkvBias), nkv, t));
  const v = normed.map((a) => proj(w, `${p}.self_attn.v_proj`, a, h, nkv * d, c.qkvBias));
  const window = c.slidingWindow;
  const visible = (t: number, s: number) => s <= t && seq.mask[s] === 1 && (window === null || t - s < window);
  const attn = attention(q, k, v, nh, nkv, d, visible);
  const x1 = x.map((xt, t) => add(xt, proj(w, `${p}.self_attn.o_proj`, attn[t]!, nh * d, h, c.outBias)));
  return x1.map((xt) => {
    const m = rmsNorm(xt, w.vec(`${p}.post_attention_layernorm.weight`, h), c.rmsNormEps);
    const gate = proj(w, `${p}.mlp.gate_proj`, m, h, c.intermediateSize, c.mlpBias);
    const up = proj(w, `${p}.mlp.up_proj`, m, h, c.intermediateSize, c.mlpBias);
    const act = gate.map((g, i) => silu(g) * up[i]!);
    return add(xt, proj(w, `${p}.mlp.down_proj`, act, c.intermediateSize, h, c.mlpBias));
  });
}
