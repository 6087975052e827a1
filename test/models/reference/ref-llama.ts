import type { HfModelConfig } from '@aligntune/core';
import { attention } from './ref-attention.js';
import { add, linear, rmsNorm, silu, type Vec } from './ref-math.js';
import { refApplyRope, refRope } from './ref-rope.js';
import type { RefHidden, RefSequence, WeightReader } from './ref-types.js';

/** The sizes and options of a Llama-lineage model the reference reads (RoPE and NoPE layers come from config.json itself). */
export interface RefLlamaShape extends HfModelConfig {
  readonly rmsNormEps: number;
  readonly qkvBias: boolean;
  readonly outBias: boolean;
  readonly mlpBias: boolean;
  readonly qkNorm: boolean;
}

/**
 * LlamaModel / MistralModel / Qwen2Model / Qwen3Model / SmolLM3Model for one sequence: embed_tokens, pre-RMSNorm
 * blocks (q/k/v projections, Qwen3's per-head q_norm/k_norm before RoPE, RoPE over the rotary dims unless
 * SmolLM3's `no_rope_layers` says 0, GQA attention, o_proj; SwiGLU MLP), final norm. nn.Linear weights are [out, in].
 */
export function llamaHidden(c: RefLlamaShape, w: WeightReader, seq: RefSequence): RefHidden {
  const p = w.has('model.embed_tokens.weight') ? 'model.' : '';
  let x: Vec[] = seq.ids.map((id) => w.row(`${p}embed_tokens.weight`, c.vocabSize, c.hiddenSize, id));
  const useRope = usesRope(c.raw, c.numLayers);
  for (let l = 0; l < c.numLayers; l++) x = llamaBlock(c, w, `${p}layers.${l}`, x, seq, useRope[l]!);
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

/** SmolLM3Config: no_rope_layers[i] (1 = RoPE), else int((i + 1) % no_rope_layer_interval != 0); other models rotate every layer. */
function usesRope(raw: Readonly<Record<string, unknown>>, layers: number): boolean[] {
  if (raw.model_type !== 'smollm3') return new Array<boolean>(layers).fill(true);
  const list = raw.no_rope_layers as number[] | undefined;
  const interval = (raw.no_rope_layer_interval as number | undefined) ?? 4;
  return Array.from({ length: layers }, (_, i) => (list ? list[i] === 1 : (i + 1) % interval !== 0));
}

function llamaBlock(c: RefLlamaShape, w: WeightReader, p: string, x: Vec[], seq: RefSequence, useRope: boolean): Vec[] {
  const { hiddenSize: h, headDim: d, numHeads: nh, numKvHeads: nkv } = c;
  const normed = x.map((xt) => rmsNorm(xt, w.vec(`${p}.input_layernorm.weight`, h), c.rmsNormEps));
  const prep = (name: 'q' | 'k', row: Vec, heads: number, t: number) =>
    perHead(row, heads, d, (head) => {
      const n = c.qkNorm ? rmsNorm(head, w.vec(`${p}.self_attn.${name}_norm.weight`, d), c.rmsNormEps) : head;
      return useRope ? refApplyRope(n, seq.positions[t]!, refRope(c.raw, seq.ropeMaxPositions[t]!)) : n;
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
