import { describe, expect, it } from 'vitest';
import { declareTokenInputs, emitModel, encodeModel, grad, Graph, hostTensor, hostValues, maskedSum, PolicyModel, tokenStatistics, type HostTensor } from '@aligntune/core';
import { backend, maxAbsDiff, paddedRows, tinyModel, tokenFeeds } from './graph-helpers.js';

/** Three vocabulary chunks of the LM head (4,096, 4,096 and 808 entries). */
const VOCAB = 9000;

/**
 * A loss reading every statistic at temperature 0.7 (−Σ log p + 0.1·Σ entropy over real predictions), its
 * statistics and the gradients of four weights, as float64, from a graph built with or without gradient
 * checkpointing; and the emitted graph's op types.
 */
async function lossAndGradients(name: string, extra: Record<string, unknown>, checkpointing: boolean): Promise<{ out: Record<string, HostTensor>; ops: string[] }> {
  const model = tinyModel(name, 19, { vocab_size: VOCAB, ...extra }).model.withDtype('float64');
  const g = new Graph(`chunked-${name}-${checkpointing}`);
  g.checkpointing = checkpointing;
  const inputs = declareTokenInputs(g);
  const { logits, weights } = new PolicyModel(model).forward(g, inputs);
  const mask = g.input('loss_mask', 'float64', ['batch', 'seq']);
  const { logps, entropy, maxLogps } = tokenStatistics(g, logits, inputs.inputIds, { temperature: 0.7, entropy: true, maxLogps: true });
  const loss = g.add(g.neg(g.reduceSum(maskedSum(g, logps, mask))), g.mul(g.reduceSum(maskedSum(g, entropy!, mask)), 0.1));
  const probe = model.config.tieWordEmbeddings ? ['embed.tokens', 'layers.0.attn.qkv.weight', 'final_norm.bias'] : ['lm_head.weight', 'embed.tokens', 'layers.1.mlp.gate.weight'];
  const grads = grad(
    g,
    loss,
    probe.map((p) => weights.source(p)),
    undefined,
    { recompute: checkpointing },
  );
  const onnx = emitModel(g, { outputs: { loss, logps, entropy: entropy!, maxLogps: maxLogps!, ...Object.fromEntries(grads.map((t, i) => [`g${i}`, t])) } });
  const compiled = await backend().compile(encodeModel(onnx));
  const rows = paddedRows(VOCAB, 4);
  const lossMask = rows.mask.flatMap((m) => m.map((v, t) => (t > 0 && v && m[t - 1] ? 1 : 0)));
  const feeds: Record<string, HostTensor> = { ...tokenFeeds(rows), ...weights.feeds(), loss_mask: hostTensor('float64', [3, 7], lossMask) };
  try {
    return { out: await compiled.run(Object.fromEntries(compiled.inputNames.map((n) => [n, feeds[n]!]))), ops: onnx.graph.node.map((n) => n.opType) };
  } finally {
    await compiled.dispose();
  }
}

describe('the LM head and log-softmax in vocabulary chunks under gradient checkpointing', () => {
  for (const [name, extra] of [
    ['gpt2', {}],
    ['gemma2', { tie_word_embeddings: false }],
  ] as const) {
    it(`${name}${'tie_word_embeddings' in extra ? ' (untied lm_head, soft-capped logits)' : ' (tied embedding)'}: log-probs, entropies, max log-probs and gradients equal the whole log-softmax's (float64)`, async () => {
      const whole = await lossAndGradients(name, extra, false);
      const chunked = await lossAndGradients(name, extra, true);
      expect(whole.ops).toContain('LogSoftmax');
      expect(chunked.ops).not.toContain('LogSoftmax'); // the [batch, seq, vocab] log-softmax is never built
      for (const [key, want] of Object.entries(whole.out)) {
        const values = hostValues(want);
        const scale = values.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
        expect(scale).toBeGreaterThan(1e-3);
        expect(maxAbsDiff(hostValues(chunked.out[key]!), values) / scale).toBeLessThan(1e-12);
      }
    });
  }
});
