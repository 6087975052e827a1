import type { DType } from '../../engine/graph-executor.js';
import type { Graph } from '../../engine/ir/graph.js';
import type { Tensor } from '../../engine/ir/tensor.js';

/** cos and sin of cat(freqs, freqs) per position, [batch, seq, 1, rotaryDim] (broadcast over heads). */
export interface RotaryTables {
  readonly cos: Tensor;
  readonly sin: Tensor;
}

/**
 * The rotary tables for position ids [batch, seq] from inverse frequencies (`ropeInverseFrequencies`, or a
 * tensor the graph computes for the length-dependent types);
 * `attentionScaling` multiplies cos and sin (YaRN's and LongRoPE's mscale; 1 otherwise), as transformers does.
 */
export function rotaryTables(g: Graph, inverseFrequencies: readonly number[] | Tensor, positionIds: Tensor, dtype: DType, attentionScaling = 1): RotaryTables {
  const inv = Array.isArray(inverseFrequencies) ? g.const(inverseFrequencies, dtype) : (inverseFrequencies as Tensor);
  const freqs = g.mul(g.unsqueeze(g.cast(positionIds, dtype), [2]), inv);
  const emb = g.unsqueeze(g.concat([freqs, freqs], -1), [2]);
  const scaled = (t: Tensor) => (attentionScaling === 1 ? t : g.mul(t, g.scalar(attentionScaling, dtype)));
  return { cos: scaled(g.cos(emb)), sin: scaled(g.sin(emb)) };
}

/**
 * x·cos + rotate_half(x)·sin with rotate_half(x) = [−x2, x1] (halves, HF's convention) over the first
 * rotaryDim = tables' last dim of x [batch, seq, heads, d]; the rest passes through (partial_rotary_factor).
 */
export function applyRotary(g: Graph, x: Tensor, tables: RotaryTables): Tensor {
  const d = x.shape[3] as number;
  const rotaryDim = tables.cos.shape[3] as number;
  if (rotaryDim === d) return rotate(g, x, tables);
  const [rot, pass] = g.split(x, 3, [rotaryDim, d - rotaryDim]) as [Tensor, Tensor];
  return g.concat([rotate(g, rot, tables), pass], 3);
}

function rotate(g: Graph, x: Tensor, { cos, sin }: RotaryTables): Tensor {
  const half = (x.shape[3] as number) / 2;
  const [x1, x2] = g.split(x, 3, [half, half]) as [Tensor, Tensor];
  return g.add(g.mul(x, cos), g.mul(g.concat([g.neg(x2), x1], 3), sin));
}
