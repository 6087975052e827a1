import { afterAll, describe, expect, it } from 'vitest';
import { applyRepetitionPenalty, drawWeighted, emitModel, encodeModel, filteredWeights, leftPad, RolloutEngine, SeededRandom, DEFAULT_SAMPLER, type GraphExecutor, type SamplerSettings } from '@aligntune/core';
import { CapiBackend } from '@aligntune/plugin-backend-onnxruntime-capi';
import { OnnxRuntimeBackend } from '@aligntune/plugin-backend-onnxruntime';
import { buildPrefillGraph, TEMPERATURE } from '../../core/src/models/graph/generation-graphs.js';
import { fullLogits, tinyModel, tokenFeeds } from './graph-helpers.js';

// The generation graphs' sampling tail (softmax(logits / T) in onnxruntime) and the draw that reads it, on both CPU backends.
const PROMPTS = [[5, 9, 2], [7], [1, 2, 3, 4, 5]];
const BACKENDS: Record<string, () => GraphExecutor> = {
  'onnxruntime-node': () => new OnnxRuntimeBackend().configure({ intraOpNumThreads: 2 }),
  'ort-capi': () => new CapiBackend().configure({ intraOpNumThreads: 2 }),
};
const opened: GraphExecutor[] = [];
afterAll(async () => {
  for (const b of opened) await b.dispose?.();
});

function open(name: string): GraphExecutor {
  const b = BACKENDS[name]!();
  opened.push(b);
  return b;
}

/** float64 log softmax(row / T). */
function logSoftmax(row: ArrayLike<number>, temperature: number): Float64Array {
  const x = Float64Array.from(row, (v) => v / temperature);
  const max = Math.max(...x);
  const lse = max + Math.log(x.reduce((s, v) => s + Math.exp(v - max), 0));
  return x.map((v) => v - lse);
}

const SETTINGS: Partial<SamplerSettings>[] = [
  {},
  { temperature: 0.7 },
  { topK: 5 },
  { temperature: 1.3, topP: 0.8 },
  { minP: 0.1 },
  { temperature: 0.8, topK: 10, topP: 0.9, minP: 0.05 },
  { greedy: true },
  { repetitionPenalty: 1.5, topK: 20 }, // the penalised row's weights come from JS's own exp pass
  { repetitionPenalty: 1.5, greedy: true },
];

describe.each(Object.keys(BACKENDS))('generation sampling tail on %s', (backendName) => {
  it('the prefill graph returns probs = softmax(logits / temperature) of its own logits to float32 precision', async () => {
    const backend = open(backendName);
    const { model } = tinyModel('gpt2', 21);
    const spec = buildPrefillGraph(model, 'input');
    const graph = await backend.compile(encodeModel(emitModel(spec.graph, { outputs: spec.outputs })), { label: 'prefill' });
    const { ids, mask } = leftPad(PROMPTS, 0);
    for (const temperature of [1, 0.7, 1.9]) {
      const out = await graph.run({ ...tokenFeeds({ ids, mask }), [TEMPERATURE]: { dtype: 'float32', dims: [], data: Float32Array.of(temperature) }, ...spec.weightFeeds() });
      const V = model.config.vocabSize;
      const logits = out.logits!.data as Float32Array;
      const probs = out.probs!.data as Float32Array;
      expect(probs.length).toBe(PROMPTS.length * V);
      for (let r = 0; r < PROMPTS.length; r++) {
        const want = logSoftmax(logits.subarray(r * V, (r + 1) * V), temperature);
        want.forEach((lp, i) => expect(Math.abs(Math.log(probs[r * V + i]!) - lp)).toBeLessThan(2e-6));
      }
    }
    await graph.dispose();
  });

  it.each(SETTINGS.map((s) => [JSON.stringify(s), s] as const))('%s: the drawn tokens are the float64 JS sampler\'s for the same uniforms; log-probs the float64 log-softmax', async (_, settings) => {
    const { model } = tinyModel('gpt2', 21);
    const engine = await RolloutEngine.create(model, open(backendName));
    const maxNewTokens = 5;
    const seed = 11;
    const { completions } = await engine.generate(PROMPTS, { maxNewTokens, seed, eosTokenIds: [], ...settings });
    await engine.dispose();
    const sampler: SamplerSettings = { ...DEFAULT_SAMPLER, ...settings };
    const { logits, len } = await fullLogits(model, PROMPTS.map((p, i) => [...p, ...completions[i]!.tokenIds]), 0);
    const V = model.config.vocabSize;
    completions.forEach((c, b) => {
      expect(c.tokenIds).toHaveLength(maxNewTokens);
      const rng = new SeededRandom(seed, `${b}/0`);
      c.tokenIds.forEach((token, k) => {
        const at = (b * len + len - maxNewTokens - 1 + k) * V; // the position whose logits chose token k
        const raw = Float32Array.from(logits.subarray(at, at + V));
        const row = raw.slice();
        applyRepetitionPenalty(row, new Set([...PROMPTS[b]!, ...c.tokenIds.slice(0, k)]), sampler.repetitionPenalty);
        // the old path: every weight from a float64 exp of the logits, the draw against the row's next uniform
        const expected = sampler.greedy ? row.indexOf(Math.max(...row)) : drawWeighted(filteredWeights(row, sampler), rng.nextFloat());
        expect(token).toBe(expected);
        // the log-prob of the unpenalised, unfiltered distribution
        expect(Math.abs(c.logprobs[k]! - logSoftmax(raw, sampler.temperature)[token]!)).toBeLessThan(1e-4);
      });
    });
  });
});
