import { Graph, hostTensor, type DType, type HostTensor, type Tensor } from '@aligntune/core';
import { randn, rng } from './helpers.js';

export interface BlockDims {
  d: number;
  heads: number;
  mlp: number;
}

/** Parameter shapes of one GPT-2 block, by name suffix. */
export function blockParamShapes({ d, mlp }: BlockDims): Record<string, number[]> {
  return { ln1_w: [d], ln1_b: [d], qkv_w: [d, 3 * d], qkv_b: [3 * d], proj_w: [d, d], proj_b: [d], ln2_w: [d], ln2_b: [d], fc_w: [d, mlp], fc_b: [mlp], out_w: [mlp, d], out_b: [d] };
}

/** GPT-2 initialisation: N(0, 0.02) weights, zero biases, unit LayerNorm scales. */
export function initParams(shapes: Record<string, number[]>, seed: number, dtype: DType = 'float32'): Record<string, HostTensor> {
  const r = rng(seed);
  return Object.fromEntries(
    Object.entries(shapes).map(([k, dims]) => {
      const n = dims.reduce((a, b) => a * b, 1);
      const v = /ln\d?_w|lnf_w/.test(k) ? new Array(n).fill(1) : /_b$/.test(k) ? new Array(n).fill(0) : randn(r, n, 0.02);
      return [k, hostTensor(dtype, dims, v)];
    }),
  );
}

/** One pre-LN GPT-2 block: causal self-attention and a gelu_new MLP, each with a residual. */
export function gptBlock(g: Graph, x: Tensor, p: (name: string) => Tensor, { d, heads }: BlockDims): Tensor {
  const dh = d / heads;
  const h = g.layerNorm(x, p('ln1_w'), p('ln1_b'));
  const qkv = g.add(g.matmul(h, p('qkv_w')), p('qkv_b'));
  const [q, k, v] = g.split(qkv, 2, [d, d, d]).map((t) => g.transpose(g.reshape(t, ['batch', 'seq', heads, dh]), [0, 2, 1, 3]));
  const scores = g.matmul(q, k, { transB: true, alpha: 1 / Math.sqrt(dh) });
  const causal = g.equal(g.trilu(g.fill(['seq', 'seq'], 1, 'int64'), false), g.scalar(1, 'int64'));
  const att = g.softmax(g.where(causal, scores, -1e9));
  const ctx = g.reshape(g.transpose(g.matmul(att, v), [0, 2, 1, 3]), ['batch', 'seq', d]);
  const x1 = g.add(x, g.add(g.matmul(ctx, p('proj_w')), p('proj_b')));
  const h2 = g.layerNorm(x1, p('ln2_w'), p('ln2_b'));
  const m = g.gelu(g.add(g.matmul(h2, p('fc_w')), p('fc_b')));
  return g.add(x1, g.add(g.matmul(m, p('out_w')), p('out_b')));
}
