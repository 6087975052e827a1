import { describe, expect, it } from 'vitest';
import { initWeights, parameterCount, SeededRandom, tensorSpecs, withSequenceClassificationHead, type StoredTensor } from '@aligntune/core';
import { presetConfig } from './model-types.js';

function stats(t: StoredTensor): { mean: number; std: number } {
  const d = t.data as Float32Array;
  let s = 0;
  for (const x of d) s += x;
  const mean = s / d.length;
  let v = 0;
  for (const x of d) v += (x - mean) ** 2;
  return { mean, std: Math.sqrt(v / d.length) };
}

const TOKENS = { vocabSize: 50257, bosTokenId: 50256, eosTokenId: 50256 };

describe('SeededRandom', () => {
  it('is deterministic per seed and stream, and gives standard normals', () => {
    const a = new SeededRandom(7, 'x');
    const b = new SeededRandom(7, 'x');
    const seqA = Array.from({ length: 5 }, () => a.nextUint32());
    expect(Array.from({ length: 5 }, () => b.nextUint32())).toEqual(seqA);
    expect(new SeededRandom(7, 'y').nextUint32()).not.toBe(seqA[0]);
    expect(new SeededRandom(8, 'x').nextUint32()).not.toBe(seqA[0]);
    const r = new SeededRandom(1);
    const n = 200_000;
    let s = 0;
    let s2 = 0;
    let s4 = 0;
    for (let i = 0; i < n; i++) {
      const x = r.normal();
      s += x;
      s2 += x * x;
      s4 += x ** 4;
    }
    expect(Math.abs(s / n)).toBeLessThan(0.01);
    expect(Math.abs(s2 / n - 1)).toBeLessThan(0.02);
    expect(Math.abs(s4 / n - 3)).toBeLessThan(0.1); // normal kurtosis
    const u = new SeededRandom(2);
    for (let i = 0; i < 1000; i++) {
      const x = u.nextFloat();
      expect(x >= 0 && x < 1).toBe(true);
    }
  });
});

describe('initWeights', () => {
  it('initialises GPT-2 as transformers does (normal 0.02, scaled c_proj, zero biases, unit LayerNorm)', () => {
    const config = presetConfig('gpt2', 'tiny', TOKENS);
    const w = initWeights(config, 0);
    expect([...w.keys()]).toEqual(tensorSpecs(config).map((s) => s.hfName));
    expect(w.has('lm_head.weight')).toBe(false); // tied
    const wte = stats(w.get('transformer.wte.weight')!);
    expect(Math.abs(wte.mean)).toBeLessThan(1e-4);
    expect(wte.std).toBeCloseTo(0.02, 3);
    expect(stats(w.get('transformer.h.0.mlp.c_fc.weight')!).std).toBeCloseTo(0.02, 3);
    // c_proj: 0.02 / sqrt(2 · n_layer) = 0.01 for 2 layers
    expect(stats(w.get('transformer.h.1.attn.c_proj.weight')!).std).toBeCloseTo(0.01, 3);
    expect(stats(w.get('transformer.h.1.mlp.c_proj.weight')!).std).toBeCloseTo(0.01, 3);
    expect([...w.get('transformer.h.0.attn.c_attn.bias')!.data].every((x) => x === 0)).toBe(true);
    expect([...w.get('transformer.ln_f.weight')!.data].every((x) => x === 1)).toBe(true);
    expect([...w.get('transformer.ln_f.bias')!.data].every((x) => x === 0)).toBe(true);
  });

  it('is deterministic for a seed, different across seeds, and per-tensor independent', () => {
    const config = presetConfig('llama', 'tiny', { vocabSize: 500, bosTokenId: 1, eosTokenId: 2, padTokenId: 3 });
    const a = initWeights(config, 42);
    const b = initWeights(config, 42);
    const c = initWeights(config, 43);
    const raw = (t: StoredTensor) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    for (const [name, t] of a) expect(raw(b.get(name)!).equals(raw(t)), name).toBe(true);
    expect(raw(c.get('model.layers.0.self_attn.q_proj.weight')!).equals(raw(a.get('model.layers.0.self_attn.q_proj.weight')!))).toBe(false);
    // Adding a score head leaves the shared tensors unchanged.
    const withScore = initWeights(withSequenceClassificationHead(config), 42);
    expect(raw(withScore.get('model.layers.1.mlp.down_proj.weight')!).equals(raw(a.get('model.layers.1.mlp.down_proj.weight')!))).toBe(true);
    expect(withScore.get('score.weight')!.shape).toEqual([1, 64]);
    // Two tensors of the same shape get different values.
    expect(raw(a.get('model.layers.0.self_attn.k_proj.weight')!).equals(raw(a.get('model.layers.0.self_attn.v_proj.weight')!))).toBe(false);
  });

  it('zeroes the padding row of Llama-family embeddings and sets norms to one', () => {
    const config = presetConfig('qwen3', 'tiny', { vocabSize: 300, bosTokenId: null, eosTokenId: 2, padTokenId: 3 });
    const w = initWeights(config, 1);
    const embed = w.get('model.embed_tokens.weight')!.data as Float32Array;
    expect([...embed.subarray(3 * 64, 4 * 64)].every((x) => x === 0)).toBe(true);
    expect([...embed.subarray(2 * 64, 3 * 64)].some((x) => x !== 0)).toBe(true);
    expect([...w.get('model.layers.0.self_attn.q_norm.weight')!.data]).toEqual(new Array(16).fill(1));
    expect(w.get('model.layers.0.self_attn.q_proj.weight')!.shape).toEqual([64, 64]);
    expect(w.get('model.layers.0.self_attn.k_proj.weight')!.shape).toEqual([32, 64]);
  });

  it('has q/k/v biases for qwen2 only, and presets of the documented sizes', () => {
    const q2 = initWeights(presetConfig('qwen2', 'tiny', { vocabSize: 300, bosTokenId: null, eosTokenId: 2 }), 1);
    expect(q2.has('model.layers.0.self_attn.q_proj.bias')).toBe(true);
    expect(q2.has('model.layers.0.self_attn.o_proj.bias')).toBe(false);
    const llama = initWeights(presetConfig('llama', 'tiny', { vocabSize: 300, bosTokenId: 1, eosTokenId: 2 }), 1);
    expect(llama.has('model.layers.0.self_attn.q_proj.bias')).toBe(false);
    expect(llama.get('lm_head.weight')!.shape).toEqual([300, 64]);
    const small = presetConfig('gpt2', 'small', TOKENS);
    expect(parameterCount(small)).toBeGreaterThan(2e6);
    expect(parameterCount(small)).toBeLessThan(10e6);
    expect(parameterCount(presetConfig('llama', 'small', { vocabSize: 32000, bosTokenId: 1, eosTokenId: 2 }))).toBeLessThan(10e6);
  });
});
