import { describe, expect, it } from 'vitest';
import { declareTokenInputs, Graph, hostValues } from '@aligntune/core';
import { referenceForward, refWeights } from './reference/reference-forward.js';
import { paddedRows, runGraph, tinyModel, tokenFeeds, TINY_CONFIGS } from './graph-helpers.js';

describe('architectures: ONNX logits equal the float64 Hugging Face reference', () => {
  for (const name of Object.keys(TINY_CONFIGS)) {
    it(`${name}: batch of 3 with right and left padding`, async () => {
      const { model, tensors } = tinyModel(name, 7);
      const g = new Graph(`logits-${name}`);
      const inputs = declareTokenInputs(g);
      const { hidden, weights } = model.forward(g, inputs, 'input');
      const logits = model.lmLogits(g, weights, hidden);
      const rows = paddedRows(model.config.vocabSize);
      const out = await runGraph(g, { logits }, { ...tokenFeeds(rows), ...weights.feeds() });
      const got = hostValues(out.logits!);
      const ref = referenceForward(model.config, refWeights(tensors), { inputIds: rows.ids, attentionMask: rows.mask });
      const V = model.config.vocabSize;
      const T = rows.ids[0]!.length;
      let worst = 0;
      let spread = 0;
      rows.mask.forEach((m, b) =>
        m.forEach((real, t) => {
          if (!real) return;
          const r = ref.logits[b]![t]!;
          for (let v = 0; v < V; v++) {
            worst = Math.max(worst, Math.abs(got[(b * T + t) * V + v]! - r[v]!));
            spread = Math.max(spread, Math.abs(r[v]!));
          }
        }),
      );
      expect(spread).toBeGreaterThan(0.5); // logits are not trivially small
      expect(worst).toBeLessThan(1e-4);
    });
  }

  it('the fixtures exercise what they claim: a sliding window changes mistral, left padding changes a row', () => {
    const { model, tensors } = tinyModel('mistral', 7);
    const rows = paddedRows(model.config.vocabSize);
    const w = refWeights(tensors);
    const windowed = referenceForward(model.config, w, { inputIds: rows.ids, attentionMask: rows.mask });
    const full = referenceForward(tinyModel('mistral', 7, { sliding_window: null }).model.config, w, { inputIds: rows.ids, attentionMask: rows.mask });
    const diff = (t: number) => Math.max(...windowed.logits[0]![t]!.map((v, i) => Math.abs(v - full.logits[0]![t]![i]!)));
    expect(diff(2)).toBeLessThan(1e-12); // keys 0..2 are all inside a window of 3
    expect(diff(6)).toBeGreaterThan(1e-3);
  });

  it('the RoPE fixtures exercise what they claim: NoPE layers, LongRoPE long factors, dynamic NTK past the original length, llama3 bands', () => {
    const logitsOf = (name: string, extra: Record<string, unknown>, tensorsFrom = name) => {
      const { tensors } = tinyModel(tensorsFrom, 7);
      const rows = paddedRows(48);
      return referenceForward(tinyModel(name, 7, extra).model.config, refWeights(tensors), { inputIds: rows.ids, attentionMask: rows.mask }).logits[0]![6]!;
    };
    const differs = (a: ArrayLike<number>, b: ArrayLike<number>) => Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i]!)));
    expect(differs(logitsOf('smollm3', {}), logitsOf('smollm3', { no_rope_layers: [1, 1] }))).toBeGreaterThan(1e-3);
    expect(differs(logitsOf('phi3-long', {}), logitsOf('phi3-long', { original_max_position_embeddings: 32 }))).toBeGreaterThan(1e-3);
    expect(differs(logitsOf('llama-dynamic', {}), logitsOf('llama-dynamic', { rope_scaling: null }))).toBeGreaterThan(1e-3);
    expect(differs(logitsOf('llama3', {}), logitsOf('llama3', { rope_scaling: null }))).toBeGreaterThan(1e-3);
    expect(differs(logitsOf('qwen2-yarn', {}), logitsOf('qwen2-yarn', { rope_scaling: null }))).toBeGreaterThan(1e-3);
  });
});
