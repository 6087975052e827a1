import { describe, expect, it } from 'vitest';
import {
  declareTokenInputs,
  grad,
  Graph,
  hostTensor,
  hostValues,
  maskedSum,
  PolicyModel,
  RewardModel,
  ReferenceModel,
  sequenceLogProbs,
  tokenEntropy,
  tokenLogProbs,
  ValueModel,
  withSequenceClassificationHead,
  type HostTensor,
} from '@aligntune/core';
import { lastTokenScores, referenceForward, refWeights, tokenLogProbs as refTokenLogProbs } from './reference/reference-forward.js';
import { logSoftmax } from './reference/ref-math.js';
import { backend, maxAbsDiff, paddedRows, randomTensors, runGraph, tinyModel, tokenFeeds, architectureFor } from './graph-helpers.js';
import { DecoderModel, emitModel, encodeModel, hostWeights, readCheckpoint, saveModelDir, toCanonicalWeights, type Kernel } from '@aligntune/core';
import { startTestKernel } from '@aligntune/core/testing';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir, tinyTokenizer } from './helpers.js';

function archKernel(): Kernel {
  return startTestKernel({ plugins: ['@aligntune/plugin-arch-gpt2'] }).kernel;
}

describe('computations on model logits', () => {
  it('token log-probs (temperature 0.7), entropies and sequence sums match the reference', async () => {
    const { model, tensors } = tinyModel('qwen2', 11);
    const policy = new PolicyModel(model);
    const g = new Graph('logprobs');
    const inputs = declareTokenInputs(g);
    const completion = g.input('completion_mask', 'float32', ['batch', 'seq']);
    const { logits, weights } = policy.forward(g, inputs);
    const outputs = {
      logp: tokenLogProbs(g, logits, inputs.inputIds, 0.7),
      entropy: tokenEntropy(g, logits, 0.7),
      sums: sequenceLogProbs(g, logits, inputs.inputIds, completion, 0.7),
    };
    const rows = paddedRows(model.config.vocabSize, 5);
    const T = 7;
    const completionMask = rows.mask.map((m) => m.map((v, t) => (t >= 4 ? v : 0)));
    const out = await runGraph(g, outputs, { ...tokenFeeds(rows), ...weights.feeds(), completion_mask: hostTensor('float32', [3, T], completionMask.flat()) });
    const ref = referenceForward(model.config, refWeights(tensors), { inputIds: rows.ids, attentionMask: rows.mask });
    const logp = hostValues(out.logp!);
    const entropy = hostValues(out.entropy!);
    rows.ids.forEach((ids, b) => {
      const want = refTokenLogProbs(ref.logits[b]!, ids, 0.7);
      expect(logp[b * T]).toBe(0);
      expect(entropy[b * T]).toBe(0);
      for (let t = 1; t < T; t++) {
        // A token is scored when it and its predecessor are real (left padding: the first real token has no prediction).
        if (!rows.mask[b]![t] || !rows.mask[b]![t - 1]) continue;
        expect(Math.abs(logp[b * T + t]! - want[t]!)).toBeLessThan(1e-4);
        const lp = logSoftmax(ref.logits[b]![t - 1]!.map((x) => x / 0.7));
        const h = -lp.reduce((s, l) => s + Math.exp(l) * l, 0);
        expect(Math.abs(entropy[b * T + t]! - h)).toBeLessThan(1e-4);
      }
      const sum = completionMask[b]!.reduce((s, m, t) => s + (m ? want[t]! : 0), 0);
      expect(Math.abs(hostValues(out.sums!)[b]! - sum)).toBeLessThan(1e-4);
    });
  });

  // Phi-3 and SmolLM3 reward/value models as transformers names them (Phi3ForSequenceClassification, a bias-free `score`).
  for (const name of ['gpt2', 'phi3', 'smollm3']) it(`${name} value model: per-position score and token-aligned values; reward model: score at the last real token`, async () => {
    const base = tinyModel(name, 13).model.config;
    const config = withSequenceClassificationHead(base, 1);
    const tensors = randomTensors(config, 13);
    expect(tensors.has('score.weight') && !tensors.has('score.bias')).toBe(true);
    expect(config.architectures).toEqual([`${base.traits.classPrefix}ForSequenceClassification`]);
    const { weights } = toCanonicalWeights(config, tensors);
    const model = new DecoderModel({ config, architecture: architectureFor(config), weights: hostWeights(weights) });
    const g = new Graph('value-reward');
    const inputs = declareTokenInputs(g);
    const value = new ValueModel(model).forward(g, inputs);
    const reward = new RewardModel(model).forward(g, inputs);
    const rows = paddedRows(config.vocabSize, 9);
    const out = await runGraph(g, { values: value.values, tokenValues: value.tokenValues, scores: reward.scores }, { ...tokenFeeds(rows), ...value.weights.feeds() });
    const ref = referenceForward(config, refWeights(tensors), { inputIds: rows.ids, attentionMask: rows.mask });
    const values = hostValues(out.values!);
    const aligned = hostValues(out.tokenValues!);
    rows.mask.forEach((m, b) =>
      m.forEach((real, t) => {
        if (!real) return;
        expect(Math.abs(values[b * 7 + t]! - ref.logits[b]![t]![0]!)).toBeLessThan(1e-4);
        if (t + 1 < 7) expect(aligned[b * 7 + t + 1]).toBe(values[b * 7 + t]);
      }),
    );
    const want = lastTokenScores(ref, rows.mask).map((v) => v[0]!);
    expect(maxAbsDiff(hostValues(out.scores!), want)).toBeLessThan(1e-4);
  });

  it('reference model bakes weights in as initializers; policy takes them as inputs', () => {
    const { model } = tinyModel('llama', 2);
    const g = new Graph('two-models');
    const inputs = declareTokenInputs(g);
    const pol = new PolicyModel(model).forward(g, inputs);
    const ref = new ReferenceModel(model).forward(g, inputs);
    const onnx = emitModel(g, { outputs: { a: pol.logits, b: ref.logits } });
    const inputNames = onnx.graph.input.map((i) => i.name);
    expect(inputNames).toContain('layers.0.attn.q.weight');
    expect(inputNames.some((n) => n.startsWith('ref.'))).toBe(false);
    expect((onnx.graph.initializer ?? []).map((t) => t.name)).toContain('ref.layers.0.attn.q.weight');
    expect(pol.weights.params().length).toBe(model.weights.size);
  });

  it('policy: absorbs trained params and saves them under the checkpoint\'s original names', async () => {
    const config = tinyModel('gpt2').model.config;
    const tensors = new Map([...randomTensors(config, 3)].map(([k, v]) => [k.replace(/^transformer\./, ''), v]));
    const src = tempDir();
    await saveModelDir(src, config, { tensors, tokenizer: tinyTokenizer() });
    const policy = await PolicyModel.load(src, { kernel: archKernel() });
    const params = policy.params();
    const bumped = Float32Array.from(params['final_norm.bias']!.data as Float32Array, (v) => v + 1);
    policy.absorb({ 'final_norm.bias': { dtype: 'float32', dims: params['final_norm.bias']!.dims, data: bumped } });
    const out = tempDir();
    await policy.save(out);
    const saved = await readCheckpoint(out);
    expect([...saved.tensors.keys()].sort()).toEqual([...tensors.keys()].sort()); // no 'transformer.' added
    expect(Array.from(saved.tensors.get('ln_f.bias')!.data as Float32Array)).toEqual(Array.from(bumped));
    expect(existsSync(join(out, 'tokenizer.json'))).toBe(true);
  });

  for (const name of ['gpt2', 'qwen3']) {
    it(`${name}: gradients of a masked log-prob loss match central differences (float64)`, async () => {
      const model = tinyModel(name, 17).model.withDtype('float64');
      const g = new Graph(`grad-${name}`);
      const inputs = declareTokenInputs(g);
      const { logits, weights } = new PolicyModel(model).forward(g, inputs);
      // Tokens whose predecessor is real: a pad position's prediction (fully masked attention row) is not a loss term.
      const mask = g.input('loss_mask', 'float64', ['batch', 'seq']);
      const loss = g.neg(g.reduceSum(maskedSum(g, tokenLogProbs(g, logits, inputs.inputIds), mask)));
      const probe = name === 'gpt2' ? ['embed.positions', 'layers.0.attn.qkv.weight', 'layers.1.norm2.weight', 'final_norm.bias'] : ['embed.tokens', 'layers.0.attn.k.weight', 'layers.0.attn.q_norm.weight', 'layers.1.mlp.gate.weight'];
      const params = probe.map((p) => weights.source(p));
      const grads = grad(g, loss, params);
      const rows = paddedRows(model.config.vocabSize, 4);
      const compiled = await backend().compile(encodeModel(emitModel(g, { outputs: { loss, ...Object.fromEntries(grads.map((t, i) => [`g${i}`, t])) } })));
      const lossMask = rows.mask.flatMap((m) => m.map((v, t) => (t > 0 && v && m[t - 1] ? 1 : 0)));
      const feeds: Record<string, HostTensor> = { ...tokenFeeds(rows), ...weights.feeds(), loss_mask: hostTensor('float64', [3, 7], lossMask) };
      const run = async (f: Record<string, HostTensor>) => compiled.run(Object.fromEntries(compiled.inputNames.map((n) => [n, f[n]!])));
      const analytic = await run(feeds);
      let worst = 0;
      for (const [i, p] of probe.entries()) {
        const base = feeds[p]!;
        const gv = hostValues(analytic[`g${i}`]!);
        // the coordinate with the largest gradient plus two fixed ones
        const largest = gv.reduce((best, v, k) => (Math.abs(v) > Math.abs(gv[best]!) ? k : best), 0);
        for (const k of [largest, 0, Math.floor(gv.length / 2)]) {
          const at = (delta: number) => {
            const data = Float64Array.from(base.data as Float64Array);
            data[k]! += delta;
            return run({ ...feeds, [p]: { ...base, data } });
          };
          const eps = 1e-5;
          const numeric = (hostValues((await at(eps)).loss!)[0]! - hostValues((await at(-eps)).loss!)[0]!) / (2 * eps);
          worst = Math.max(worst, Math.abs(numeric - gv[k]!) / Math.max(1, Math.abs(numeric)));
        }
        expect(Math.abs(gv[largest]!)).toBeGreaterThan(1e-3);
      }
      await compiled.dispose();
      expect(worst).toBeLessThan(1e-6);
    });
  }
});
