import { describe, expect, it } from 'vitest';
import { RolloutEngine } from '@aligntune/core';
import { backend, tinyModel } from './graph-helpers.js';
import { positionsFromMask, referenceForward, refWeights } from './reference/reference-forward.js';
import { logSoftmax } from './reference/ref-math.js';

/** Prompts of 3 and 1 tokens: the original length (4 positions) is crossed during decoding, not in the prefill. */
const PROMPTS = [[5, 9, 2], [7]];
const NEW_TOKENS = 6;

interface Decoded {
  readonly tokens: number[][];
  readonly logps: number[][];
}

/**
 * transformers' greedy generate() in float64: a left-padded prefill, then one call per token with the cache. Each call's
 * RoPE is its own (dynamic_rope_update with L = max(position_ids) + 1 of that call, on a fresh module: growing past the
 * original length as decoding goes), and every cached column keeps the rotation of the call that wrote it. `oneCall`
 * instead recomputes every column with the final length's tables (a training forward over the finished sequence).
 */
function referenceGreedy(name: string, seed: number, oneCall = false): Decoded {
  const { model, tensors } = tinyModel(name, seed);
  const weights = refWeights(tensors);
  const width = Math.max(...PROMPTS.map((p) => p.length));
  const ids = PROMPTS.map((p) => [...new Array<number>(width - p.length).fill(0), ...p]);
  const mask = PROMPTS.map((p) => [...new Array<number>(width - p.length).fill(0), ...p.map(() => 1)]);
  const ropeMax: number[] = new Array<number>(width).fill(Math.max(...mask.flatMap(positionsFromMask)));
  const out: Decoded = { tokens: PROMPTS.map(() => []), logps: PROMPTS.map(() => []) };
  for (let step = 0; step < NEW_TOKENS; step++) {
    const { logits } = referenceForward(model.config, weights, { inputIds: ids, attentionMask: mask, ...(oneCall ? {} : { ropeMaxPositions: ropeMax }) });
    logits.forEach((rows, b) => {
      const row = rows.at(-1)!;
      const token = row.indexOf(Math.max(...row));
      out.tokens[b]!.push(token);
      out.logps[b]!.push(logSoftmax(row)[token]!);
      ids[b]!.push(token);
      mask[b]!.push(1);
    });
    ropeMax.push(Math.max(...mask.map((m) => positionsFromMask(m).at(-1)!)));
  }
  return out;
}

async function engineGreedy(name: string, seed: number): Promise<Decoded> {
  const engine = await RolloutEngine.create(tinyModel(name, seed).model, backend());
  const { completions } = await engine.generate(PROMPTS, { maxNewTokens: NEW_TOKENS, greedy: true, eosTokenIds: [] });
  await engine.dispose();
  return { tokens: completions.map((c) => c.tokenIds), logps: completions.map((c) => c.logprobs) };
}

/**
 * Length-dependent RoPE through the KV cache: each decode step's tables are those of its own length, as transformers'
 * dynamic_rope_update computes them per call (dynamic NTK growing step by step past the original length, LongRoPE
 * switching to its long factors), and the cached keys keep the rotation they were written with.
 */
describe('dynamic and LongRoPE tables during KV-cache generation equal transformers\' per-call update (float64 reference)', () => {
  for (const [name, seed] of [['llama-dynamic', 5], ['phi3-long', 5]] as const) {
    it(`${name}: greedy tokens and their log-probs`, async () => {
      const ours = await engineGreedy(name, seed);
      const reference = referenceGreedy(name, seed);
      expect(ours.tokens).toEqual(reference.tokens);
      ours.logps.flat().forEach((v, i) => expect(Math.abs(v - reference.logps.flat()[i]!), `log-prob ${i}`).toBeLessThan(1e-4));
      // the per-call tables matter here: one forward over the finished sequences scores the same tokens otherwise
      const oneCall = referenceGreedy(name, seed, true);
      const apart = Math.max(...reference.logps.flat().map((v, i) => Math.abs(v - oneCall.logps.flat()[i]!)));
      expect(apart).toBeGreaterThan(1e-3);
    });
  }
});
