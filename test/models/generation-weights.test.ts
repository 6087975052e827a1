import { describe, expect, it } from 'vitest';
import { Graph, RolloutEngine, type CompiledGraph, type GraphExecutor } from '@aligntune/core';
import { CapiBackend } from '@aligntune/plugin-backend-onnxruntime-capi';
import { backend, tinyModel } from './graph-helpers.js';

const PROMPTS = [[5, 9, 2], [7], [1, 2, 3, 4, 5]];

interface Compiled {
  readonly label: string;
  readonly inputNames: readonly string[];
  runs: number;
}

/** `inner`, recording every graph it compiles and how often each is run. */
function recording(inner: GraphExecutor): { executor: GraphExecutor; compiled: Compiled[] } {
  const compiled: Compiled[] = [];
  const executor: GraphExecutor = Object.assign(Object.create(inner) as GraphExecutor, {
    async compile(model: Uint8Array, options: { label?: string } = {}): Promise<CompiledGraph> {
      const graph = await inner.compile(model, options);
      const record: Compiled = { label: options.label ?? '', inputNames: graph.inputNames, runs: 0 };
      compiled.push(record);
      return Object.assign(Object.create(graph) as CompiledGraph, {
        run: (...args: Parameters<CompiledGraph['run']>) => {
          record.runs++;
          return graph.run(...args);
        },
      });
    },
  });
  return { executor, compiled };
}

describe('decode with weights fed as inputs', () => {
  it('multiplies by transposed copies of the weight matrices, made once per generate(), with the tokens of baked-in weights', async () => {
    const { model } = tinyModel('gpt2', 21);
    const { executor, compiled } = recording(backend());
    const live = await RolloutEngine.create(model, executor);
    const baked = await RolloutEngine.create(model, backend(), { weights: 'initializer' });
    const opts = { maxNewTokens: 5, greedy: true, eosTokenIds: [] };
    const first = await live.generate(PROMPTS, opts);
    const second = await live.generate(PROMPTS, opts);
    const expected = await baked.generate(PROMPTS, opts);
    await live.generate(PROMPTS, { ...opts, maxNewTokens: 1 }); // the prefill gives the only token: no decode step, no layout run
    await live.dispose();
    await baked.dispose();

    const decode = compiled.find((c) => c.label === 'decode')!;
    const transposed = decode.inputNames.filter((name) => name.endsWith('.transposed'));
    // every linear layer's weight (4 per GPT-2 block) comes transposed, and the [in, out] original is no longer fed
    expect(transposed.length).toBe(4 * model.config.numLayers);
    for (const name of transposed) expect(decode.inputNames).not.toContain(name.slice(0, -'.transposed'.length));
    // the tied head multiplies by the [vocab, hidden] embedding as it is: no copy of it
    expect(decode.inputNames).toContain('embed.tokens');
    expect(decode.inputNames).not.toContain('embed.tokens.transposed');
    expect(compiled.find((c) => c.label === 'decode-weight-layout')!.runs).toBe(2);

    expect(second.completions).toEqual(first.completions);
    expect(first.completions.map((c) => c.tokenIds)).toEqual(expected.completions.map((c) => c.tokenIds));
    first.completions.forEach((c, i) => c.logprobs.forEach((lp, k) => expect(Math.abs(lp - expected.completions[i]!.logprobs[k]!)).toBeLessThan(1e-5)));
  });

  it('baked-in weights: no transposed copies, no layout graph', async () => {
    const { model } = tinyModel('llama', 3);
    const { executor, compiled } = recording(backend());
    const engine = await RolloutEngine.create(model, executor, { weights: 'initializer' });
    await engine.generate(PROMPTS, { maxNewTokens: 2, greedy: true, eosTokenIds: [] });
    await engine.dispose();
    expect(compiled.map((c) => c.label)).toEqual(['prefill', 'decode']);
    expect(compiled.flatMap((c) => c.inputNames).filter((name) => name.endsWith('.transposed'))).toEqual([]);
  });

  it('a plain float32 weight bound as an initializer stays a constant (onnxruntime prepacks constant MatMul operands), not a run-time value', () => {
    const { model } = tinyModel('gpt2', 21);
    const g = new Graph('t');
    g.input('input_ids', 'int64', [1, 1]);
    const weights = model.bind(g, 'initializer');
    const name = [...model.weights].find(([, w]) => w.dims.length === 2 && w.dtype === 'float32')![0];
    expect(weights.source(name).producer?.op).toBe('Initializer');
  });

  it('sampled tokens and log-probs on ort-capi with live resident weights equal onnxruntime-node\'s with host weights (same seed)', async () => {
    const { model } = tinyModel('qwen2', 4);
    const capi = new CapiBackend();
    try {
      const opts = { maxNewTokens: 7, temperature: 1.3, topK: 20, topP: 0.95, seed: 42, numReturnSequences: 2, eosTokenIds: [] };
      const node = await RolloutEngine.create(model, backend());
      const expected = await node.generate(PROMPTS, opts);
      await node.dispose();
      const engine = await RolloutEngine.create(model, capi);
      const live = Object.fromEntries(Object.entries(model.namedWeights('')).map(([name, t]) => [name, capi.resident.create(t)]));
      const got = await engine.generate(PROMPTS, { ...opts, weights: live });
      await engine.dispose();
      expect(got.completions.map((c) => c.tokenIds)).toEqual(expected.completions.map((c) => c.tokenIds));
      got.completions.forEach((c, i) => c.logprobs.forEach((lp, k) => expect(Math.abs(lp - expected.completions[i]!.logprobs[k]!)).toBeLessThan(1e-5)));
    } finally {
      await capi.dispose();
    }
  });
});
