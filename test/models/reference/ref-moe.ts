import type { MoeConfig } from '@aligntune/plugin-arch-moe';
import { attention } from './ref-attention.js';
import { perHead, proj } from './ref-llama.js';
import { add, linear, rmsNorm, silu, softmax, type Vec } from './ref-math.js';
import { refApplyRope, refRope } from './ref-rope.js';
import type { RefSequence, WeightReader } from './ref-types.js';

/** One sequence through an MoE model: final hidden states and each sparse layer's router logits [T][experts]. */
export interface MoeRefOutput {
  readonly hidden: Vec[];
  readonly routerLogits: Vec[][];
}

/**
 * MixtralModel (modeling_mixtral.py), Qwen2MoeModel, Qwen3MoeModel and OlmoeModel for one sequence: embed_tokens,
 * pre-RMSNorm blocks (q/k/v projections; OLMoE's q_norm/k_norm over the whole projection, Qwen3-MoE's per head;
 * RoPE; GQA attention; o_proj), then the sparse MoE block (or Qwen's dense MLP on mlp_only_layers / off the
 * decoder_sparse_step), final norm. nn.Linear weights are [out, in].
 */
export function moeHidden(c: MoeConfig, w: WeightReader, seq: RefSequence): MoeRefOutput {
  let x: Vec[] = seq.ids.map((id) => w.row('model.embed_tokens.weight', c.vocabSize, c.hiddenSize, id));
  const routerLogits: Vec[][] = [];
  for (let l = 0; l < c.numLayers; l++) {
    const p = `model.layers.${l}`;
    const x1 = attentionBlock(c, w, p, x, seq);
    const normed = x1.map((xt) => rmsNorm(xt, w.vec(`${p}.post_attention_layernorm.weight`, c.hiddenSize), c.rmsNormEps));
    if (c.sparseLayers[l]) {
      const block = c.modelType === 'mixtral' ? `${p}.block_sparse_moe` : `${p}.mlp`;
      const logits = normed.map((h) => linear(h, w.mat(`${block}.gate.weight`, c.numExperts, c.hiddenSize)));
      routerLogits.push(logits);
      x = x1.map((xt, t) => add(xt, sparseMoe(c, w, block, normed[t]!, logits[t]!)));
    } else {
      x = x1.map((xt, t) => add(xt, mlp(w, `${p}.mlp`, normed[t]!, c.hiddenSize, c.intermediateSize, ['gate_proj', 'up_proj', 'down_proj'])));
    }
  }
  return { hidden: x.map((xt) => rmsNorm(xt, w.vec('model.norm.weight', c.hiddenSize), c.rmsNormEps)), routerLogits };
}

function attentionBlock(c: MoeConfig, w: WeightReader, p: string, x: Vec[], seq: RefSequence): Vec[] {
  const { hiddenSize: h, headDim: d, numHeads: nh, numKvHeads: nkv } = c;
  const a = `${p}.self_attn`;
  const normed = x.map((xt) => rmsNorm(xt, w.vec(`${p}.input_layernorm.weight`, h), c.rmsNormEps));
  const prep = (name: 'q' | 'k', row: Vec, heads: number, t: number) => {
    // OlmoeAttention: q_norm(q_proj(x)) over all heads at once; Qwen3MoeAttention: q_norm per head
    const whole = c.qkNorm === 'projection' ? rmsNorm(row, w.vec(`${a}.${name}_norm.weight`, heads * d), c.rmsNormEps) : row;
    return perHead(whole, heads, d, (head) => {
      const n = c.qkNorm === 'head' ? rmsNorm(head, w.vec(`${a}.${name}_norm.weight`, d), c.rmsNormEps) : head;
      return refApplyRope(n, seq.positions[t]!, refRope(c.raw, seq.ropeMaxPositions[t]!));
    });
  };
  const q = normed.map((v, t) => prep('q', proj(w, `${a}.q_proj`, v, h, nh * d, c.qkvBias), nh, t));
  const k = normed.map((v, t) => prep('k', proj(w, `${a}.k_proj`, v, h, nkv * d, c.qkvBias), nkv, t));
  const v = normed.map((n) => proj(w, `${a}.v_proj`, n, h, nkv * d, c.qkvBias));
  const window = c.slidingWindow;
  const visible = (t: number, s: number) => s <= t && seq.mask[s] === 1 && (window === null || t - s < window);
  const out = attention(q, k, v, nh, nkv, d, visible);
  return x.map((xt, t) => add(xt, proj(w, `${a}.o_proj`, out[t]!, nh * d, h, c.outBias)));
}

/** An expert / dense MLP: down(silu(gate(x)) · up(x)) with the model type's projection names. */
function mlp(w: WeightReader, p: string, x: Vec, h: number, size: number, [gate, up, down]: readonly string[]): Vec {
  const g = linear(x, w.mat(`${p}.${gate}.weight`, size, h));
  const u = linear(x, w.mat(`${p}.${up}.weight`, size, h));
  return linear(
    g.map((gi, i) => silu(gi) * u[i]!),
    w.mat(`${p}.${down}.weight`, h, size),
  );
}

/** torch.topk's indices: the k largest, ties to the lower index. */
export function topK(values: ArrayLike<number>, k: number): number[] {
  return Array.from(values, (_, i) => i)
    .sort((a, b) => values[b]! - values[a]! || a - b)
    .slice(0, k);
}

/**
 * The sparse block on one token, as the transformers loop computes it: routing_weights = softmax(router_logits),
 * topk, divided by their sum (Mixtral always; the others when norm_topk_prob); Σ weight · expert(x) over the
 * selected experts; Qwen2-MoE adds sigmoid(shared_expert_gate(x)) · shared_expert(x).
 */
function sparseMoe(c: MoeConfig, w: WeightReader, block: string, x: Vec, logits: Vec): Vec {
  const h = c.hiddenSize;
  const names = c.modelType === 'mixtral' ? ['w1', 'w3', 'w2'] : ['gate_proj', 'up_proj', 'down_proj'];
  const probs = softmax(logits);
  const selected = topK(probs, c.numExpertsPerTok);
  const total = selected.reduce((s, e) => s + probs[e]!, 0);
  const out = new Float64Array(h);
  for (const e of selected) {
    const weight = c.modelType === 'mixtral' || c.normTopkProb ? probs[e]! / total : probs[e]!;
    const y = mlp(w, `${block}.experts.${e}`, x, h, c.expertIntermediateSize, names);
    for (let i = 0; i < h; i++) out[i] += weight * y[i]!;
  }
  if (c.sharedExpertIntermediateSize === null) return out;
  const shared = mlp(w, `${block}.shared_expert`, x, h, c.sharedExpertIntermediateSize, names);
  const gate = 1 / (1 + Math.exp(-linear(x, w.mat(`${block}.shared_expert_gate.weight`, 1, h))[0]!));
  return out.map((o, i) => o + gate * shared[i]!);
}

/**
 * transformers' load_balancing_loss_func with an attention mask, literally: gate logits of every layer
 * concatenated ([layers · batch · seq, experts]), softmax, top-k one-hot [N, k, E], tokens_per_expert [k, E] and
 * router_prob_per_expert [E] as masked means over N, Σ tokens_per_expert · router_prob · E.
 * `gateLogits[layer][b][t]`; logits of padding positions are ignored (the mask zeroes them).
 */
export function refLoadBalancingLoss(gateLogits: readonly (readonly (readonly Vec[])[])[], attentionMask: readonly (readonly number[])[], numExperts: number, topk: number): number {
  const tokensPerExpert = Array.from({ length: topk }, () => new Float64Array(numExperts));
  const routerProb = new Float64Array(numExperts);
  let denominator = 0;
  for (const layer of gateLogits) {
    attentionMask.forEach((row, b) =>
      row.forEach((m, t) => {
        if (m === 0) return;
        const probs = softmax(layer[b]![t]!);
        topK(probs, topk).forEach((e, slot) => (tokensPerExpert[slot]![e] += 1));
        probs.forEach((p, e) => (routerProb[e] += p));
        denominator += 1;
      }),
    );
  }
  let loss = 0;
  for (const slot of tokensPerExpert) for (let e = 0; e < numExperts; e++) loss += (slot[e]! / denominator) * (routerProb[e]! / denominator);
  return loss * numExperts;
}
