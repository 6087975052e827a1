import { describe, expect, it } from 'vitest';
import { applyRepetitionPenalty, candidates, DEFAULT_SAMPLER, drawWeighted, filteredWeights, SeededRandom, tokenLogProb, type SamplerSettings } from '@aligntune/core';
import { chosenLogProb } from '../../core/src/models/rollout/sampler.js';

const LOGITS = Float32Array.from([3, 2, 1, 0, -1]);
const s = (o: Partial<SamplerSettings>): SamplerSettings => ({ ...DEFAULT_SAMPLER, ...o });
const softmax = (xs: number[]) => {
  const e = xs.map(Math.exp);
  const z = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / z);
};

describe('sampler filters (hand-computed cases)', () => {
  it('no filter: the softmax, most likely first', () => {
    const c = candidates(LOGITS, s({}));
    expect(c.ids).toEqual([0, 1, 2, 3, 4]);
    softmax([3, 2, 1, 0, -1]).forEach((p, i) => expect(c.probs[i]).toBeCloseTo(p, 12));
  });

  it('top-k keeps k tokens, renormalised; ties with the k-th are kept', () => {
    const c = candidates(LOGITS, s({ topK: 2 }));
    expect(c.ids).toEqual([0, 1]);
    expect(c.probs[0]).toBeCloseTo(Math.exp(3) / (Math.exp(3) + Math.exp(2)), 12);
    expect(candidates(Float32Array.from([1, 2, 2, 0]), s({ topK: 1 })).ids).toEqual([1, 2]);
  });

  it('top-p: p = (.636, .234, .086, .032, .012); 0.9 keeps 3 tokens (mass before the 4th is .957)', () => {
    expect(candidates(LOGITS, s({ topP: 0.9 })).ids).toEqual([0, 1, 2]);
    expect(candidates(LOGITS, s({ topP: 0.6 })).ids).toEqual([0]);
    // the first two hold .8705: enough for 0.87 (the third is dropped), not for 0.871
    expect(candidates(LOGITS, s({ topP: 0.87 })).ids).toEqual([0, 1]);
    expect(candidates(LOGITS, s({ topP: 0.871 })).ids).toEqual([0, 1, 2]);
  });

  it('min-p keeps tokens at least min_p × the top probability (weights 1, .37, .14, .05, .02)', () => {
    expect(candidates(LOGITS, s({ minP: 0.1 })).ids).toEqual([0, 1, 2]);
    expect(candidates(LOGITS, s({ minP: 0.2 })).ids).toEqual([0, 1]);
    // after top-p 0.9 (3 tokens), min-p 0.1 applies to what is left: still 3; min-p first would change top-p's mass
    expect(candidates(LOGITS, s({ topP: 0.9, minP: 0.1 })).ids).toEqual([0, 1, 2]);
    // top-p 0.96 keeps 4 (.957 before the 4th), then min-p drops the 4th (weight .0498) only above .0498
    expect(candidates(LOGITS, s({ topP: 0.96, minP: 0.04 })).ids).toEqual([0, 1, 2, 3]);
    expect(candidates(LOGITS, s({ topP: 0.96, minP: 0.06 })).ids).toEqual([0, 1, 2]);
  });

  it('top-k then top-p on the renormalised top-k distribution (.665, .245, .090)', () => {
    const c = candidates(LOGITS, s({ topK: 3, topP: 0.7 }));
    expect(c.ids).toEqual([0, 1]);
    expect(c.probs[1]).toBeCloseTo(Math.exp(2) / (Math.exp(3) + Math.exp(2)), 12);
  });

  it('temperature flattens before filtering: T = 2 gives p = (.40, .24, .15, .09, .05) and top-p 0.7 keeps 3', () => {
    const c = candidates(LOGITS, s({ temperature: 2, topP: 0.7 }));
    expect(c.ids).toEqual([0, 1, 2]);
    const p = softmax([1.5, 1, 0.5]);
    p.forEach((v, i) => expect(c.probs[i]).toBeCloseTo(v, 12));
    expect(tokenLogProb(LOGITS, 1, 2)).toBeCloseTo(Math.log(softmax([1.5, 1, 0.5, 0, -0.5])[1]!), 12);
  });

  it('repetition penalty divides positive and multiplies negative logits of seen tokens', () => {
    const row = Float32Array.from(LOGITS);
    applyRepetitionPenalty(row, new Set([1, 4]), 2);
    expect(Array.from(row)).toEqual([3, 1, 1, 0, -2]);
  });

  it('draws follow the filtered distribution', () => {
    const c = candidates(LOGITS, s({ topK: 3 }));
    const w = filteredWeights(LOGITS, s({ topK: 3 }));
    const rng = new SeededRandom(5, 'draws');
    const counts = new Map<number, number>();
    const n = 20000;
    for (let i = 0; i < n; i++) {
      const t = drawWeighted(w, rng.nextFloat());
      counts.set(t, (counts.get(t) ?? 0) + 1);
    }
    expect([...counts.keys()].sort()).toEqual([0, 1, 2]);
    c.ids.forEach((id, i) => expect(Math.abs(counts.get(id)! / n - c.probs[i]!)).toBeLessThan(0.015));
  });

  it('top-p on a large vocabulary equals the brute-force nucleus (the histogram cut never changes the result)', () => {
    const rng = new SeededRandom(9, 'vocab');
    // flat (0.05), moderate and peaked (12) logits; 0.999 puts the cut deep in the tail
    for (const [scale, topP] of [[1, 0.95], [6, 0.9], [0.05, 0.5], [12, 0.999], [3, 0.3]] as const) {
      const row = Float32Array.from({ length: 3000 }, () => rng.normal() * scale);
      const order = [...row.keys()].sort((a, b) => row[b]! - row[a]! || a - b);
      const p = softmax(order.map((i) => row[i]!));
      const want: number[] = [];
      let before = 0;
      for (const [k, i] of order.entries()) {
        if (k > 0 && before >= topP) break;
        want.push(i);
        before += p[k]!;
      }
      const got = candidates(row, s({ topP }));
      expect([...got.ids].sort((a, b) => a - b)).toEqual(want.sort((a, b) => a - b));
    }
  });

  it("with the graph's probabilities: they are the weights (as they are without a filter), the filters drop what the exp path drops", () => {
    const probs = Float32Array.from(softmax([3, 2, 1, 0, -1]));
    expect(filteredWeights(LOGITS, s({}), undefined, probs)).toBe(probs);
    for (const o of [{ topK: 2 }, { topP: 0.87 }, { topP: 0.871 }, { minP: 0.1 }, { minP: 0.2 }, { topK: 3, topP: 0.7 }, { topP: 0.96, minP: 0.06 }]) {
      const w = filteredWeights(LOGITS, s(o), new Float64Array(LOGITS.length), probs);
      const kept = new Set(candidates(LOGITS, s(o)).ids);
      w.forEach((x, i) => expect(x).toBe(kept.has(i) ? probs[i] : 0));
    }
  });

  it("the chosen token's log-prob is the log of the graph's probability, recomputed from the logits below float32's normal range", () => {
    const row = Float32Array.from([0, -1, -100]);
    const probs = Float32Array.from(softmax([0, -1, -100])); // p[2] ≈ 2.7e-44: a float32 subnormal, 2 significant digits
    expect(chosenLogProb(row, probs, 1, 1)).toBe(Math.log(probs[1]!));
    expect(chosenLogProb(row, probs, 2, 1)).toBeCloseTo(tokenLogProb(row, 2, 1), 12);
    expect(Math.abs(Math.log(probs[2]!) - tokenLogProb(row, 2, 1))).toBeGreaterThan(1e-3);
  });
});
