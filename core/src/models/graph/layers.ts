import type { Graph } from '../../engine/ir/graph.js';
import type { Tensor } from '../../engine/ir/tensor.js';
import type { WeightSource } from '../architecture.js';
import { mapParts } from './graph-weights.js';

/** x·W (+ b) with the canonical [in, out] weight `<name>.weight` and optional `<name>.bias`, plus an adapter's update when the source has one (PEFT adds it after the bias). */
export function linear(g: Graph, x: Tensor, weights: WeightSource, name: string, bias: boolean): Tensor {
  const xw = g.matmul(x, weights(`${name}.weight`, x));
  const y = bias ? g.add(xw, weights(`${name}.bias`)) : xw;
  const update = weights.adaptLinear?.(g, x, name);
  return update ? g.add(y, update) : y;
}

/** [batch, seq, heads·d] → [batch, seq, heads, d] (a view, no copy). */
export function splitHeads(g: Graph, x: Tensor, heads: number, headDim: number): Tensor {
  return g.reshape(x, [x.shape[0]!, x.shape[1]!, heads, headDim]);
}

/**
 * Token embedding rows of `embed.tokens` for int64 ids. A table stored in bf16 / fp16 gives the rows of its stored
 * parts, decoded: the float32 [vocab, hidden] table is never built for the lookup (the ids are a run input, so
 * onnxruntime cannot fold the lookup at session creation either).
 */
export function embedTokens(g: Graph, weights: WeightSource, inputIds: Tensor): Tensor {
  const stored = weights.elementwise?.('embed.tokens');
  if (!stored) return g.gather(weights('embed.tokens'), inputIds, 0);
  return stored.decode(mapParts(stored.parts, (part) => g.gather(part, inputIds, 0)));
}
