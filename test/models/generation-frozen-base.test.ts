import { describe, expect, it } from 'vitest';
import { compileWithSharedWeights, declareTokenInputs, DecoderModel, emitModel, freezeHostArray, Graph, LoraAdapter, RolloutEngine, storeFrozen, type GraphExecutor, type Tensor, type WeightStorage } from '@aligntune/core';
import { CapiBackend } from '@aligntune/plugin-backend-onnxruntime-capi';
import { OnnxRuntimeBackend } from '@aligntune/plugin-backend-onnxruntime';
import { buildDecodeGraph, buildPrefillGraph } from '../../core/src/models/graph/generation-graphs.js';
import { tinyModel } from './graph-helpers.js';

/**
 * Generation with a LoRA policy on a frozen base (issue 18): a float32 base is read by the prefill and decode graphs
 * as constants (no per-step copy through a run-time gate), a stored one (QLoRA) decoded once per generate() and fed
 * as float32 inputs (no per-step decode), and either way the
 * tokens and log-probs are the training forward's. The vocabulary is large enough (20000 × 16 floats, 1.25 MiB) for
 * the tied embedding to leave the model bytes as a shared weight, so ort-capi reads it through AddInitializer.
 */
const PROMPTS = [[5, 9, 2, 7], [1, 2, 3, 4]];
const NEW_TOKENS = 4;

function loraPolicy(storage: WeightStorage): DecoderModel {
  const { model } = tinyModel('gpt2', 5, { vocab_size: 20000 });
  // frozen as a run freezes a loaded base: its own arrays, never written, shared between sessions
  const copies = new Map([...model.weights].map(([name, w]) => [name, { ...w, data: Float32Array.from(w.data as Float32Array) }]));
  for (const w of copies.values()) freezeHostArray(w.data);
  const base = storeFrozen(new DecoderModel({ ...model, weights: copies }), storage);
  const settings = { r: 4, loraAlpha: 8, loraDropout: 0, useRslora: false, modulesToSave: [], initLoraWeights: false };
  const adapter = LoraAdapter.create(base, settings, { seed: 3 });
  return adapter.base.withAdapter(adapter);
}

const FP32_BASE: WeightStorage = { precision: 'fp32' };
const QLORA_BASE: WeightStorage = { precision: 'bf16', quantization: { format: 'nf4', blockSize: 64 } };

/** The initializer's name when `t` is one. */
const initializerName = (t: Tensor): string | undefined => (t.producer?.op === 'Initializer' ? (t.producer.attrs.name as string) : undefined);

/** The graph's initializers that a Where (the run-time gate) reads. */
function gatedInitializers(g: Graph): string[] {
  return g.nodes.filter((n) => n.op === 'Where').flatMap((n) => n.inputs.map(initializerName).filter((name) => name !== undefined));
}

/** Log softmax of every position's logits from the training forward (weights as a train step binds them). */
async function trainingLogProbs(executor: GraphExecutor, policy: DecoderModel, ids: number[][]): Promise<Float32Array[][]> {
  const g = new Graph('training-forward');
  const inputs = declareTokenInputs(g);
  const { hidden, weights } = policy.forward(g, inputs, 'input');
  const logProbs = g.logSoftmax(policy.lmLogits(g, weights, hidden));
  const graph = await compileWithSharedWeights(executor, emitModel(g, { outputs: { logProbs } }), { label: g.label });
  const dims = [ids.length, ids[0]!.length];
  const int64 = (rows: number[][]) => ({ dtype: 'int64' as const, dims, data: BigInt64Array.from(rows.flat(), BigInt) });
  const out = await graph.run({ input_ids: int64(ids), attention_mask: int64(ids.map((r) => r.map(() => 1))), position_ids: int64(ids.map((r) => r.map((_, i) => i))), ...weights.feeds() });
  await graph.dispose();
  const vocab = policy.config.vocabSize;
  const data = out.logProbs!.data as Float32Array;
  return ids.map((row, b) => row.map((_, i) => data.subarray((b * row.length + i) * vocab, (b * row.length + i + 1) * vocab)));
}

describe('generation with a frozen LoRA base', () => {
  it('a float32 base is read as constants by the prefill and decode graphs (no gate copies it per run)', () => {
    const fp32 = loraPolicy(FP32_BASE);
    for (const spec of [buildPrefillGraph(fp32, 'input'), buildDecodeGraph(fp32, 'input')]) {
      expect(gatedInitializers(spec.graph)).toEqual([]);
      // the tied embedding, read as it is by the token Gather and by the head's MatMul
      const readers = spec.graph.nodes.filter((n) => n.inputs.some((t) => initializerName(t) === 'base.embed.tokens'));
      expect(readers.map((n) => n.op).sort()).toEqual(['Gather', 'MatMul']);
    }
  });

  it('a stored base (QLoRA) enters the prefill and decode graphs decoded, as float32 inputs: no per-step gate or decode over its codes', () => {
    const qlora = loraPolicy(QLORA_BASE);
    for (const spec of [buildPrefillGraph(qlora, 'input'), buildDecodeGraph(qlora, 'input')]) {
      expect(gatedInitializers(spec.graph)).toEqual([]);
      const initializers = spec.graph.nodes.flatMap((n) => n.inputs.map(initializerName)).filter((name) => name?.startsWith('base.'));
      expect(initializers).toEqual([]); // no codes, absmax or bf16 bits: nothing is decoded in the step
      expect(spec.decodedWeights.get('base.embed.tokens')).toBe(qlora.adapter!.base.storedWeight('embed.tokens'));
      expect(spec.graph.inputs.map((t) => t.name)).toContain('base.embed.tokens');
    }
  });

  it.each([
    ['float32 base', FP32_BASE],
    ['QLoRA base (nf4, bf16 embedding)', QLORA_BASE],
  ] as const)('%s: greedy tokens and their log-probs equal the training forward\'s, on both CPU backends', async (_label, storage) => {
    const policy = loraPolicy(storage);
    for (const executor of [new OnnxRuntimeBackend().configure({ intraOpNumThreads: 2 }), new CapiBackend()]) {
      try {
        const engine = await RolloutEngine.create(policy, executor, { weights: 'input' });
        const { completions } = await engine.generate(PROMPTS, { maxNewTokens: NEW_TOKENS, greedy: true, eosTokenIds: [] });
        await engine.dispose();
        const ids = completions.map((c, b) => [...PROMPTS[b]!, ...c.tokenIds]);
        const logProbs = await trainingLogProbs(executor, policy, ids);
        completions.forEach((c, b) =>
          c.tokenIds.forEach((token, k) => {
            const row = logProbs[b]![PROMPTS[b]!.length - 1 + k]!;
            expect(token).toBe(row.indexOf(Math.max(...row)));
            expect(Math.abs(c.logprobs[k]! - row[token]!)).toBeLessThan(1e-5);
          }),
        );
      } finally {
        await executor.dispose();
      }
    }
  });
});
