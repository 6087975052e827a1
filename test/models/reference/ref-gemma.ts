import type { GemmaConfig } from '@aligntune/plugin-arch-gemma';
import { attention } from './ref-attention.js';
import { add, geluNew, linear, rmsNorm, type Vec } from './ref-math.js';
import { refApplyRope, refRope, type RefRope } from './ref-rope.js';
import type { RefHidden, RefSequence, WeightReader } from './ref-types.js';

/**
 * Gemma2Model / Gemma3TextModel for one sequence, written from transformers' modeling_gemma2.py / modeling_gemma3.py:
 * embed_tokens × hidden_size**0.5; per layer input_layernorm → attention (Gemma 3: per-head q_norm/k_norm, then RoPE
 * with rope_local_base_freq on sliding layers, rope_theta on full ones; scores × query_pre_attn_scalar**−0.5,
 * soft-capped by attn_logit_softcapping; sliding layers see keys with q − k < sliding_window) → post_attention_layernorm
 * → residual; pre_feedforward_layernorm → gelu_pytorch_tanh GeGLU → post_feedforward_layernorm → residual; final norm.
 * Every Gemma RMSNorm multiplies by (1 + weight).
 */
export function gemmaHidden(c: GemmaConfig, w: WeightReader, seq: RefSequence): RefHidden {
  const p = w.has('model.embed_tokens.weight') ? 'model.' : '';
  const scale = Math.sqrt(c.hiddenSize);
  let x: Vec[] = seq.ids.map((id) => w.row(`${p}embed_tokens.weight`, c.vocabSize, c.hiddenSize, id).map((v) => v * scale));
  for (let l = 0; l < c.numLayers; l++) x = gemmaBlock(c, w, `${p}layers.${l}`, l, x, seq);
  return x.map((xt) => gemmaNorm(c, w, `${p}norm`, xt));
}

/** Gemma's RMSNorm: x / rms(x) · (1 + weight). */
function gemmaNorm(c: GemmaConfig, w: WeightReader, name: string, x: Vec): Vec {
  const one = Array.from(w.vec(`${name}.weight`, x.length), (v) => 1 + v);
  return rmsNorm(x, one, c.rmsNormEps);
}

function proj(c: GemmaConfig, w: WeightReader, name: string, x: Vec, inF: number, outF: number, bias = c.attentionBias): Vec {
  return linear(x, w.mat(`${name}.weight`, outF, inF), bias ? w.vec(`${name}.bias`, outF) : undefined);
}

function gemmaBlock(c: GemmaConfig, w: WeightReader, p: string, layer: number, x: Vec[], seq: RefSequence): Vec[] {
  const { hiddenSize: h, headDim: d, numHeads: nh, numKvHeads: nkv } = c;
  const sliding = c.slidingLayers[layer]!;
  const normed = x.map((xt) => gemmaNorm(c, w, `${p}.input_layernorm`, xt));
  const prep = (name: 'q' | 'k', row: Vec, heads: number, t: number) => {
    const out = new Float64Array(heads * d);
    for (let hd = 0; hd < heads; hd++) {
      const head = row.slice(hd * d, (hd + 1) * d);
      const n = c.qkNorm ? gemmaNorm(c, w, `${p}.self_attn.${name}_norm`, head) : head;
      out.set(refApplyRope(n, seq.positions[t]!, layerRope(c, sliding, seq.ropeMaxPositions[t]!)), hd * d);
    }
    return out;
  };
  const q = normed.map((a, t) => prep('q', proj(c, w, `${p}.self_attn.q_proj`, a, h, nh * d), nh, t));
  const k = normed.map((a, t) => prep('k', proj(c, w, `${p}.self_attn.k_proj`, a, h, nkv * d), nkv, t));
  const v = normed.map((a) => proj(c, w, `${p}.self_attn.v_proj`, a, h, nkv * d));
  const window = sliding ? c.slidingWindow : null;
  const visible = (t: number, s: number) => s <= t && seq.mask[s] === 1 && (window === null || t - s < window);
  const attn = attention(q, k, v, nh, nkv, d, visible, { scale: c.queryPreAttnScalar ** -0.5, softcap: c.attnLogitSoftcapping });
  const x1 = x.map((xt, t) => add(xt, gemmaNorm(c, w, `${p}.post_attention_layernorm`, proj(c, w, `${p}.self_attn.o_proj`, attn[t]!, nh * d, h))));
  return x1.map((xt) => {
    const m = gemmaNorm(c, w, `${p}.pre_feedforward_layernorm`, xt);
    const gate = proj(c, w, `${p}.mlp.gate_proj`, m, h, c.intermediateSize, false);
    const up = proj(c, w, `${p}.mlp.up_proj`, m, h, c.intermediateSize, false);
    const act = gate.map((g, i) => geluNew(g) * up[i]!);
    return add(xt, gemmaNorm(c, w, `${p}.post_feedforward_layernorm`, proj(c, w, `${p}.mlp.down_proj`, act, c.intermediateSize, h, false)));
  });
}

/**
 * Gemma3RotaryEmbedding per layer type: transformers 5's rope_parameters[layer_type]; else rope_theta / rope_scaling on
 * full layers, and Gemma 3's sliding layers rope_local_base_freq without scaling (Gemma 2: one RoPE for all).
 */
function layerRope(c: GemmaConfig, sliding: boolean, maxPosition: number): RefRope {
  const raw: Record<string, unknown> = { ...c.raw, head_dim: c.headDim };
  const params = raw.rope_parameters as Record<string, unknown> | null | undefined;
  const type = sliding ? 'sliding_attention' : 'full_attention';
  if (params && typeof params === 'object' && type in params) return refRope({ ...raw, rope_parameters: params[type] }, maxPosition);
  if (sliding && c.version === 3) return refRope({ ...raw, rope_parameters: null, rope_scaling: null, rope_theta: raw.rope_local_base_freq ?? 10000 }, maxPosition);
  return refRope(raw, maxPosition);
}
