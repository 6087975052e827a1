import { describe, expect, it } from 'vitest';
import { tensorSpecs, withSequenceClassificationHead, type HfModelConfig } from '@aligntune/core';
import { parseModelConfig, presetConfig } from './model-types.js';
import { randomArray } from './helpers.js';
import { geluNew, layerNorm, logSoftmax, rmsNorm } from './reference/ref-math.js';
import { refApplyRope, refRope } from './reference/ref-rope.js';
import { lastTokenScores, positionsFromMask, referenceForward, tokenLogProbs, type RefWeights } from './reference/reference-forward.js';

/** Random weights of every tensor of `config` with enough scale to make every term matter (norm weights around 1). */
function randomWeights(config: HfModelConfig, seed: number, prefix?: string): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  tensorSpecs(config, prefix).forEach((s, i) => {
    const n = s.hfShape.reduce((a, b) => a * b, 1);
    const data = randomArray(n, seed * 1000 + i, s.init === 'ones' ? 0.5 : 0.4);
    if (s.init === 'ones') data.forEach((x, j) => (data[j] = 1 + x));
    out.set(s.hfName, data);
  });
  return out;
}

const VOCAB = 23;
function tiny(arch: 'gpt2' | 'llama' | 'qwen2' | 'qwen3'): HfModelConfig {
  const c = presetConfig(arch, 'tiny', { vocabSize: VOCAB, bosTokenId: 1, eosTokenId: 2 });
  // Shrink further: the reference is plain loops.
  return parseModelConfig({ ...c.raw, ...(arch === 'gpt2' ? { n_embd: 16, n_head: 4, n_positions: 64 } : { hidden_size: 16, head_dim: 4, intermediate_size: 24, max_position_embeddings: 64 }) });
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

const ARCHS = ['gpt2', 'llama', 'qwen2', 'qwen3'] as const;
const SEQ_A = [5, 9, 3, 17, 2];
const SEQ_B = [7, 1, 22];

describe('reference math', () => {
  it('matches published values and hand computation', () => {
    expect(geluNew(1)).toBeCloseTo(0.841192, 6); // tanh approximation (exact-erf GELU gives 0.841345)
    expect(geluNew(-1)).toBeCloseTo(-0.158808, 6);
    expect(geluNew(0)).toBe(0);
    const ln = layerNorm(Float64Array.of(1, -1), [2, 1], [0.5, 0], 1e-5);
    expect(ln[0]).toBeCloseTo(2 / Math.sqrt(1 + 1e-5) + 0.5, 12);
    expect(ln[1]).toBeCloseTo(-1 / Math.sqrt(1 + 1e-5), 12);
    const rms = rmsNorm(Float64Array.of(3, 4), [1, 2], 0);
    expect([...rms]).toEqual([3 / Math.sqrt(12.5), 8 / Math.sqrt(12.5)]);
    // RoPE rotates (x_i, x_{i+d/2}) pairs: d = 4, inv_freq = [1, 1/100].
    const plain = refRope({ hidden_size: 4, num_attention_heads: 1, rope_theta: 10000 }, 0);
    const r = refApplyRope(Float64Array.of(1, 0, 0, 1), 1, plain);
    expect([...r].map((x) => +x.toFixed(12))).toEqual([Math.cos(1), -Math.sin(0.01), Math.sin(1), Math.cos(0.01)].map((x) => +x.toFixed(12)));
    expect([...refApplyRope(Float64Array.of(1, 2, 3, 4), 0, plain)]).toEqual([1, 2, 3, 4]);
    const linear = refRope({ hidden_size: 4, num_attention_heads: 1, rope_theta: 10000, rope_scaling: { type: 'linear', factor: 2 } }, 0);
    expect(refApplyRope(Float64Array.of(1, 0, 0, 0), 6, linear)[0]).toBeCloseTo(Math.cos(3), 12); // linear scaling: position / factor
    // partial rotary: the last dims pass through
    const partial = refRope({ hidden_size: 8, num_attention_heads: 1, partial_rotary_factor: 0.5, rope_theta: 10000 }, 0);
    expect([...refApplyRope(Float64Array.of(1, 0, 0, 0, 5, 6, 7, 8), 1, partial)].slice(4)).toEqual([5, 6, 7, 8]);
    const ls = logSoftmax([1, 2, 3]);
    expect(ls.reduce((a, x) => a + Math.exp(x), 0)).toBeCloseTo(1, 14);
    expect(ls[2]! - ls[0]!).toBeCloseTo(2, 14);
  });

  it('derives positions from the attention mask as HF generation does', () => {
    expect(positionsFromMask([1, 1, 1, 0, 0])).toEqual([0, 1, 2, 1, 1]);
    expect(positionsFromMask([0, 0, 1, 1])).toEqual([1, 1, 0, 1]);
  });
});

describe('hand-computed tiny models', () => {
  // hidden 2, one head (head_dim 2), identity attention projections, zero MLP.
  const llama = parseModelConfig({
    model_type: 'llama',
    hidden_size: 2,
    intermediate_size: 1,
    num_hidden_layers: 1,
    num_attention_heads: 1,
    vocab_size: 3,
    rms_norm_eps: 1e-6,
    max_position_embeddings: 8,
  });
  const I = [1, 0, 0, 1];
  const llamaWeights: RefWeights = new Map<string, number[]>([
    ['model.embed_tokens.weight', [3, 4, 1, 0, 0, 2]],
    ['model.layers.0.input_layernorm.weight', [1, 1]],
    ['model.layers.0.self_attn.q_proj.weight', I],
    ['model.layers.0.self_attn.k_proj.weight', I],
    ['model.layers.0.self_attn.v_proj.weight', I],
    ['model.layers.0.self_attn.o_proj.weight', I],
    ['model.layers.0.post_attention_layernorm.weight', [1, 1]],
    ['model.layers.0.mlp.gate_proj.weight', [0, 0]],
    ['model.layers.0.mlp.up_proj.weight', [0, 0]],
    ['model.layers.0.mlp.down_proj.weight', [0, 0]],
    ['model.norm.weight', [1, 1]],
    ['lm_head.weight', [1, 0, 0, 1, 1, 1]],
  ]);
  const eps = 1e-6;
  const norm = (v: number[]) => {
    const r = Math.sqrt((v[0]! ** 2 + v[1]! ** 2) / 2 + eps);
    return [v[0]! / r, v[1]! / r];
  };
  const logitsOf = (h: number[]) => {
    const f = norm(h);
    return [f[0]!, f[1]!, f[0]! + f[1]!];
  };

  it('llama, one token: the attention output is v (identity), then the final norm and lm_head', () => {
    const e = [3, 4];
    const n = norm(e);
    const expected = logitsOf([e[0]! + n[0]!, e[1]! + n[1]!]);
    const out = referenceForward(llama, llamaWeights, { inputIds: [[0]] });
    expect(maxDiff(out.logits[0]![0]!, expected)).toBeLessThan(1e-12);
  });

  it('llama, two tokens: RoPE rotates q/k by position (rotate_half convention) and softmax mixes the values', () => {
    const n0 = norm([3, 4]);
    const n1 = norm([0, 2]);
    const rot = (v: number[], a: number) => [v[0]! * Math.cos(a) - v[1]! * Math.sin(a), v[1]! * Math.cos(a) + v[0]! * Math.sin(a)];
    const expectedFor = (angle: number) => {
      const q1 = rot(n1, angle); // query at position 1
      const k1 = rot(n1, angle); // key at position 1; the key at position 0 is not rotated
      const s0 = (q1[0]! * n0[0]! + q1[1]! * n0[1]!) / Math.sqrt(2);
      const s1 = (q1[0]! * k1[0]! + q1[1]! * k1[1]!) / Math.sqrt(2);
      const p0 = Math.exp(s0) / (Math.exp(s0) + Math.exp(s1));
      const attn = [p0 * n0[0]! + (1 - p0) * n1[0]!, p0 * n0[1]! + (1 - p0) * n1[1]!];
      return logitsOf([0 + attn[0]!, 2 + attn[1]!]);
    };
    const out = referenceForward(llama, llamaWeights, { inputIds: [[0, 2]] });
    expect(maxDiff(out.logits[0]![1]!, expectedFor(1))).toBeLessThan(1e-12);
    // The mirror-image rotation gives a different answer, so the test pins the direction.
    expect(maxDiff(out.logits[0]![1]!, expectedFor(-1))).toBeGreaterThan(1e-3);
  });

  it('gpt2: zero q/k make attention a causal average of values, which padding excludes', () => {
    const gpt2 = parseModelConfig({ model_type: 'gpt2', n_embd: 2, n_head: 1, n_layer: 1, n_positions: 4, n_inner: 2, vocab_size: 3 });
    const z = (n: number) => new Array<number>(n).fill(0);
    const cAttn = [0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1]; // [2, 6]: q | k | v, v = identity
    const w: RefWeights = new Map<string, number[]>([
      ['wte.weight', [1, 0, 0, 3, 2, 2]],
      ['wpe.weight', [0, 0, 0.5, 0, 0, 0, 0, 0]],
      ['h.0.ln_1.weight', [1, 1]],
      ['h.0.ln_1.bias', [0, 0]],
      ['h.0.attn.c_attn.weight', cAttn],
      ['h.0.attn.c_attn.bias', z(6)],
      ['h.0.attn.c_proj.weight', I],
      ['h.0.attn.c_proj.bias', z(2)],
      ['h.0.ln_2.weight', [1, 1]],
      ['h.0.ln_2.bias', [0, 0]],
      ['h.0.mlp.c_fc.weight', z(4)],
      ['h.0.mlp.c_fc.bias', z(2)],
      ['h.0.mlp.c_proj.weight', z(4)],
      ['h.0.mlp.c_proj.bias', [0.25, -0.25]],
      ['ln_f.weight', [1, 1]],
      ['ln_f.bias', [0, 0]],
    ]);
    const ln = (v: number[]) => {
      const m = (v[0]! + v[1]!) / 2;
      const s = Math.sqrt(((v[0]! - m) ** 2 + (v[1]! - m) ** 2) / 2 + 1e-5);
      return [(v[0]! - m) / s, (v[1]! - m) / s];
    };
    const x0 = [1, 0]; // token 0 at position 0
    const x1 = [0 + 0.5, 3]; // token 1 at position 1
    const a1 = ln(x1).map((v, i) => (v + ln(x0)[i]!) / 2);
    const h1 = ln([x1[0]! + a1[0]! + 0.25, x1[1]! + a1[1]! - 0.25]);
    const expected = [h1[0]!, 3 * h1[1]!, 2 * h1[0]! + 2 * h1[1]!]; // tied to wte rows [1,0], [0,3], [2,2]
    const out = referenceForward(gpt2, w, { inputIds: [[0, 1]] });
    expect(maxDiff(out.logits[0]![1]!, expected)).toBeLessThan(1e-12);
    // With token 0 masked out, token 1 attends to itself only (and keeps its position 0 → wpe row 0).
    const padded = referenceForward(gpt2, w, { inputIds: [[0, 1]], attentionMask: [[0, 1]] });
    const y = [0, 3];
    const h = ln([y[0]! + ln(y)[0]! + 0.25, y[1]! + ln(y)[1]! - 0.25]);
    expect(maxDiff(padded.logits[0]![1]!, [h[0]!, 3 * h[1]!, 2 * h[0]! + 2 * h[1]!])).toBeLessThan(1e-12);
  });
});

describe('reference properties', () => {
  for (const arch of ARCHS) {
    describe(arch, () => {
      const config = tiny(arch);
      const w = randomWeights(config, 1);

      it('gives each sequence the same logits alone, right-padded in a batch, and left-padded', () => {
        const alone = referenceForward(config, w, { inputIds: [SEQ_B] }).logits[0]!;
        const right = referenceForward(config, w, { inputIds: [SEQ_A, [...SEQ_B, 0, 0]], attentionMask: [[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]] }).logits[1]!;
        const left = referenceForward(config, w, { inputIds: [SEQ_A, [0, 0, ...SEQ_B]], attentionMask: [[1, 1, 1, 1, 1], [0, 0, 1, 1, 1]] }).logits[1]!;
        for (let t = 0; t < SEQ_B.length; t++) {
          expect(maxDiff(right[t]!, alone[t]!)).toBeLessThan(1e-12);
          expect(maxDiff(left[t + 2]!, alone[t]!)).toBeLessThan(1e-12);
        }
      });

      it('is causal: position t depends only on tokens 0..t', () => {
        const full = referenceForward(config, w, { inputIds: [SEQ_A] }).logits[0]!;
        for (let t = 1; t <= SEQ_A.length; t++) {
          const prefix = referenceForward(config, w, { inputIds: [SEQ_A.slice(0, t)] }).logits[0]!;
          expect(maxDiff(prefix[t - 1]!, full[t - 1]!)).toBeLessThan(1e-12);
        }
        const changedLast = referenceForward(config, w, { inputIds: [[...SEQ_A.slice(0, 4), 11]] }).logits[0]!;
        expect(maxDiff(changedLast[3]!, full[3]!)).toBe(0);
        expect(maxDiff(changedLast[4]!, full[4]!)).toBeGreaterThan(1e-3);
      });

      it(arch === 'gpt2' ? 'depends on absolute positions' : 'depends only on relative positions (RoPE)', () => {
        const base = referenceForward(config, w, { inputIds: [SEQ_A] }).logits[0]!;
        const shifted = referenceForward(config, w, { inputIds: [SEQ_A], positionIds: [SEQ_A.map((_, i) => i + 7)] }).logits[0]!;
        const d = maxDiff(base[4]!, shifted[4]!);
        if (arch === 'gpt2') expect(d).toBeGreaterThan(1e-3);
        else expect(d).toBeLessThan(1e-10);
      });

      it('produces token log-probs from the previous position', () => {
        const logits = referenceForward(config, w, { inputIds: [SEQ_A] }).logits[0]!;
        const lp = tokenLogProbs(logits, SEQ_A);
        expect(lp[0]).toBeNaN();
        for (let t = 1; t < SEQ_A.length; t++) {
          const row = logits[t - 1]!;
          const lse = Math.log(row.reduce((a, x) => a + Math.exp(x), 0));
          expect(lp[t]).toBeCloseTo(row[SEQ_A[t]!]! - lse, 12);
        }
        const hot = tokenLogProbs(logits, SEQ_A, 0.5);
        expect(hot[2]).toBeCloseTo(logSoftmax(logits[1]!.map((x) => x * 2))[SEQ_A[2]!]!, 12);
      });
    });
  }

  it('GQA equals full attention with repeated k/v heads (repeat_kv)', () => {
    const gqa = tiny('llama'); // 4 heads, 2 kv heads, head_dim 4
    expect([gqa.numHeads, gqa.numKvHeads]).toEqual([4, 2]);
    const mha = parseModelConfig({ ...gqa.raw, num_key_value_heads: 4 });
    const w = randomWeights(gqa, 2);
    const wm = new Map(w);
    for (const p of ['k_proj', 'v_proj']) {
      for (let l = 0; l < 2; l++) {
        const name = `model.layers.${l}.self_attn.${p}.weight`;
        const src = w.get(name)!; // [2 kv heads · 4, 16]
        const rows = 16; // 4 heads · head_dim 4
        const dst = new Float32Array(rows * 16);
        for (let h = 0; h < 4; h++) dst.set(src.subarray(Math.floor(h / 2) * 4 * 16, (Math.floor(h / 2) + 1) * 4 * 16), h * 4 * 16);
        wm.set(name, dst);
      }
    }
    const a = referenceForward(gqa, w, { inputIds: [SEQ_A] }).logits[0]!;
    const b = referenceForward(mha, wm, { inputIds: [SEQ_A] }).logits[0]!;
    for (let t = 0; t < SEQ_A.length; t++) expect(maxDiff(a[t]!, b[t]!)).toBeLessThan(1e-12);
  });

  it('linear RoPE scaling divides positions by the factor', () => {
    const base = tiny('llama');
    const scaled = parseModelConfig({ ...base.raw, rope_scaling: { type: 'linear', factor: 2 } });
    const w = randomWeights(base, 3);
    const a = referenceForward(scaled, w, { inputIds: [SEQ_A] }).logits[0]!;
    const b = referenceForward(base, w, { inputIds: [SEQ_A], positionIds: [SEQ_A.map((_, i) => i / 2)] }).logits[0]!;
    const c = referenceForward(base, w, { inputIds: [SEQ_A] }).logits[0]!;
    expect(maxDiff(a[4]!, b[4]!)).toBeLessThan(1e-12);
    expect(maxDiff(a[4]!, c[4]!)).toBeGreaterThan(1e-4);
  });

  it('ties lm_head to the embedding', () => {
    const tied = tiny('qwen2');
    const untied = parseModelConfig({ ...tied.raw, tie_word_embeddings: false });
    const w = randomWeights(tied, 4);
    const wu = new Map(w).set('lm_head.weight', w.get('model.embed_tokens.weight')!);
    const a = referenceForward(tied, w, { inputIds: [SEQ_B] }).logits[0]!;
    const b = referenceForward(untied, wu, { inputIds: [SEQ_B] }).logits[0]!;
    expect(maxDiff(a[2]!, b[2]!)).toBe(0);
  });

  it('qwen2 is llama plus q/k/v biases', () => {
    const qwen2 = tiny('qwen2');
    const llama = parseModelConfig({ ...qwen2.raw, model_type: 'llama', architectures: ['LlamaForCausalLM'] });
    const w = randomWeights(qwen2, 5);
    const zeroBias = new Map(w);
    for (const k of w.keys()) if (k.endsWith('_proj.bias')) zeroBias.set(k, new Float32Array(w.get(k)!.length));
    const a = referenceForward(qwen2, zeroBias, { inputIds: [SEQ_A] }).logits[0]!;
    const b = referenceForward(llama, zeroBias, { inputIds: [SEQ_A] }).logits[0]!;
    const c = referenceForward(qwen2, w, { inputIds: [SEQ_A] }).logits[0]!;
    expect(maxDiff(a[4]!, b[4]!)).toBe(0);
    expect(maxDiff(a[4]!, c[4]!)).toBeGreaterThan(1e-4);
  });

  it("qwen3's per-head q/k RMSNorm makes attention blind to the scale of q_proj/k_proj", () => {
    const qwen3 = tiny('qwen3');
    const w = randomWeights(qwen3, 6);
    const scaled = new Map(w);
    for (let l = 0; l < 2; l++) {
      const name = `model.layers.${l}.self_attn.q_proj.weight`;
      scaled.set(name, w.get(name)!.map((x) => x * 5));
    }
    const a = referenceForward(qwen3, w, { inputIds: [SEQ_A] }).logits[0]!;
    const b = referenceForward(qwen3, scaled, { inputIds: [SEQ_A] }).logits[0]!;
    expect(maxDiff(a[4]!, b[4]!)).toBeLessThan(1e-6); // only eps keeps it from exact
    const llama = parseModelConfig({ ...qwen3.raw, model_type: 'llama' });
    const c = referenceForward(llama, w, { inputIds: [SEQ_A] }).logits[0]!;
    const d = referenceForward(llama, scaled, { inputIds: [SEQ_A] }).logits[0]!;
    expect(maxDiff(c[4]!, d[4]!)).toBeGreaterThan(1e-4);
  });

  it("mistral's sliding window hides keys at distance ≥ window", () => {
    const base = tiny('llama');
    const windowed = parseModelConfig({ ...base.raw, model_type: 'mistral', sliding_window: 2 });
    const wide = parseModelConfig({ ...base.raw, model_type: 'mistral', sliding_window: 64 });
    const w = randomWeights(base, 7);
    const a = referenceForward(windowed, w, { inputIds: [SEQ_A] }).logits[0]!;
    const b = referenceForward(wide, w, { inputIds: [SEQ_A] }).logits[0]!;
    const c = referenceForward(base, w, { inputIds: [SEQ_A] }).logits[0]!;
    expect(maxDiff(a[1]!, c[1]!)).toBe(0);
    expect(maxDiff(a[3]!, c[3]!)).toBeGreaterThan(1e-4);
    expect(maxDiff(b[4]!, c[4]!)).toBe(0);
  });

  it('reads GPT-2 weights with or without the transformer. prefix', () => {
    const config = tiny('gpt2');
    const a = referenceForward(config, randomWeights(config, 8), { inputIds: [SEQ_A] }).logits[0]!;
    const b = referenceForward(config, randomWeights(config, 8, ''), { inputIds: [SEQ_A] }).logits[0]!;
    expect(maxDiff(a[4]!, b[4]!)).toBe(0);
  });

  it('applies the score head for sequence classification and pools the last real token', () => {
    const config = withSequenceClassificationHead(tiny('llama'), 2);
    const w = randomWeights(config, 9);
    const mask = [
      [1, 1, 1, 1, 1],
      [1, 1, 1, 0, 0],
    ];
    const out = referenceForward(config, w, { inputIds: [SEQ_A, [...SEQ_B, 0, 0]], attentionMask: mask });
    expect(out.logits[0]![0]).toHaveLength(2);
    const pooled = lastTokenScores(out, mask);
    expect([...pooled[1]!]).toEqual([...out.logits[1]![2]!]);
    const score = w.get('score.weight')!;
    const h = out.hidden[0]![4]!;
    const manual = [0, 1].map((l) => h.reduce((s, x, j) => s + x * score[l * 16 + j]!, 0));
    expect(maxDiff(pooled[0]!, manual)).toBeLessThan(1e-12);
  });
});
