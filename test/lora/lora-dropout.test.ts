import { describe, expect, it } from 'vitest';
import { grad, Graph, hostTensor, hostValues, type HostTensor } from '@aligntune/core';
import { DROPOUT_OFFSET, DROPOUT_PRIME, DROPOUT_SPREAD, dropoutSalt, LORA_DROPOUT_SEED, loraDropout, loraDropoutSeed } from '../../core/src/models/lora/lora-dropout.js';
import { runGraph } from '../models/graph-helpers.js';
import { grpoKernel } from '../training/grpo-helpers.js';
import { GROUP_ROWS } from '../training/exactness-rows.js';
import { oneLoraStep } from './lora-helpers.js';

/**
 * LoRA dropout's masks, regenerated here in BigInt arithmetic from the documented hash (not through the graph), and
 * one SGD step of an adapted linear with them against the float64 update written out by hand.
 */

/** The keep-or-drop scale of each element of a tensor of `size` elements: 1/(1−p) kept, 0 dropped. */
function expectedMask(seed: HostTensor, module: string, call: number, size: number, p: number): Float64Array {
  const P = BigInt(DROPOUT_PRIME);
  const s = ((seed.data as BigInt64Array)[0]! + BigInt(dropoutSalt(module, call))) % P;
  const threshold = BigInt(Math.floor(p * DROPOUT_PRIME));
  return Float64Array.from({ length: size }, (_, n) => {
    const i = BigInt(n);
    const h1 = (i * BigInt(DROPOUT_SPREAD) + s) % P;
    const h2 = (h1 * h1 + s) % P;
    const h3 = (h2 * h2 + i) % P;
    const h = (h3 * h3 + BigInt(DROPOUT_OFFSET)) % P;
    return h >= threshold ? 1 / (1 - p) : 0;
  });
}

const randomValues = (n: number, seed: number) => Float64Array.from({ length: n }, (_, i) => Math.sin(seed * 1000 + i * 12.9898) * 0.7);

describe('LoRA dropout', () => {
  it('one SGD step of (dropout(x)·A·B)·scale equals the float64 update with the same mask', async () => {
    const [rows, seq, inF, r, outF, p, scale, lr] = [2, 3, 8, 2, 5, 0.3, 1.5, 0.1];
    const x = randomValues(rows * seq * inF, 1);
    const a = randomValues(inF * r, 2);
    const b = randomValues(r * outF, 3);
    const c = randomValues(rows * seq * outF, 4);
    const g = new Graph('dropout-step');
    const xt = g.input('x', 'float64', ['batch', 'seq', inF]);
    const at = g.input('A', 'float64', [inF, r]);
    const bt = g.input('B', 'float64', [r, outF]);
    const ct = g.input('c', 'float64', ['batch', 'seq', outF]);
    const y = g.mul(g.matmul(g.matmul(loraDropout(g, xt, p, 'layers.0.mlp.up'), at), bt), scale);
    const loss = g.reduceSum(g.mul(y, ct));
    const [da, db] = grad(g, loss, [at, bt]);
    const lrT = g.scalar(lr, 'float64');
    const seed = loraDropoutSeed(42, 3, 0);
    const feeds = { x: hostTensor('float64', [rows, seq, inF], x), A: hostTensor('float64', [inF, r], a), B: hostTensor('float64', [r, outF], b), c: hostTensor('float64', [rows, seq, outF], c), [LORA_DROPOUT_SEED]: seed };
    const out = await runGraph(g, { a: g.sub(at, g.mul(da!, lrT)), b: g.sub(bt, g.mul(db!, lrT)) }, feeds);

    const mask = expectedMask(seed, 'layers.0.mlp.up', 0, x.length, p);
    expect(mask.some((m) => m === 0) && mask.some((m) => m > 0)).toBe(true);
    const xd = x.map((v, i) => v * mask[i]!);
    // L = Σ_t c_t·(xd_t·A·B)·s: ∂L/∂A = Σ_t xd_tᵀ·(s·c_t·Bᵀ), ∂L/∂B = Σ_t (xd_t·A)ᵀ·(s·c_t)
    const gA = new Float64Array(inF * r);
    const gB = new Float64Array(r * outF);
    for (let t = 0; t < rows * seq; t++) {
      const h = Array.from({ length: r }, (_, k) => Array.from({ length: inF }, (_, i) => xd[t * inF + i]! * a[i * r + k]!).reduce((s, v) => s + v, 0));
      const up = Array.from({ length: r }, (_, k) => Array.from({ length: outF }, (_, o) => scale * c[t * outF + o]! * b[k * outF + o]!).reduce((s, v) => s + v, 0));
      for (let i = 0; i < inF; i++) for (let k = 0; k < r; k++) gA[i * r + k] += xd[t * inF + i]! * up[k]!;
      for (let k = 0; k < r; k++) for (let o = 0; o < outF; o++) gB[k * outF + o] += h[k]! * scale * c[t * outF + o]!;
    }
    const close = (got: HostTensor, start: Float64Array, g2: Float64Array) => hostValues(got).forEach((v, i) => expect(v).toBeCloseTo(start[i]! - lr * g2[i]!, 12));
    close(out.a!, a, gA);
    close(out.b!, b, gB);
  });

  it('masks are independent per layer, per call and per step, keep 1 − p of the elements, and are what the hash says', async () => {
    const [rows, seq, inF, p] = [4, 16, 64, 0.1];
    const size = rows * seq * inF;
    const g = new Graph('dropout-masks');
    const x = g.input('x', 'float32', ['batch', 'seq', inF]);
    const outputs = { q: loraDropout(g, x, p, 'layers.0.attn.q'), k: loraDropout(g, x, p, 'layers.1.attn.q'), again: loraDropout(g, x, p, 'layers.0.attn.q') };
    const ones = hostTensor('float32', [rows, seq, inF], new Float32Array(size).fill(1));
    const masks = async (step: number) => {
      const seed = loraDropoutSeed(7, step, 0);
      const out = await runGraph(g, outputs, { x: ones, [LORA_DROPOUT_SEED]: seed });
      return { seed, q: hostValues(out.q!), k: hostValues(out.k!), again: hostValues(out.again!) };
    };
    const first = await masks(0);
    const second = await masks(1);
    expect(Array.from(first.q)).toEqual(Array.from(expectedMask(first.seed, 'layers.0.attn.q', 0, size, p), (v) => Math.fround(v)));
    expect(Array.from(first.again)).toEqual(Array.from(expectedMask(first.seed, 'layers.0.attn.q', 1, size, p), (v) => Math.fround(v)));
    const dropped = (m: Float64Array) => m.reduce((n, v) => n + (v === 0 ? 1 : 0), 0) / m.length;
    for (const m of [first.q, first.k, first.again, second.q]) expect(Math.abs(dropped(m) - p)).toBeLessThan(0.02);
    // two independent masks agree on about p² + (1−p)² of the positions, not on all of them
    const agreement = (u: Float64Array, v: Float64Array) => u.reduce((n, x, i) => n + ((x === 0) === (v[i] === 0) ? 1 : 0), 0) / u.length;
    const independent = p * p + (1 - p) * (1 - p);
    for (const [u, v] of [[first.q, first.k], [first.q, first.again], [first.q, second.q]] as const) expect(Math.abs(agreement(u, v) - independent)).toBeLessThan(0.02);
  });

  // Only the step's graph takes the masks' key: the old policy's scorer graph with dropout in it would miss that feed
  // and fail, so the run shows it scores without dropout, and the update shows the loss has it.
  it('an off-policy GRPO step trains with dropout in its loss only (the old-policy log-probs without)', { timeout: 60_000 }, async () => {
    const run = (dropout: number) => oneLoraStep({
      arch: 'gpt2', algo: 'grpo', rows: GROUP_ROWS, targets: ['c_attn', 'c_fc'], kernel: grpoKernel(), replay: true, dropout,
      train: { learning_rate: 0.5, num_generations: 3, max_completion_length: 12, beta: 0.3, num_iterations: 2 },
    });
    const [dropped, plain] = [await run(0.3), await run(0)];
    const name = [...dropped.after.keys()].find((n) => n.endsWith('c_fc.lora_A.weight'))!;
    const [u, v] = [dropped.after.get(name)!.data as Float32Array, plain.after.get(name)!.data as Float32Array];
    expect(u.some((x, i) => Math.abs(x - v[i]!) > 1e-6)).toBe(true);
  });
});
