import type { DType } from '../../engine/graph-executor.js';
import type { Graph } from '../../engine/ir/graph.js';
import type { Tensor } from '../../engine/ir/tensor.js';
import { longRopeInverseFrequencies, ropeAttentionScaling, ropeInverseFrequencies, ropeRotaryDim, type RopeScaling, type RopeSettings } from '../rope.js';
import { rotaryTables, type RotaryTables } from './rotary.js';

/**
 * The rotary tables of a model's RoPE settings for position ids [batch, seq], over ⌊headDim · partial_rotary_factor⌋
 * dimensions. The length-dependent types decide in the graph from L = max(position_ids) + 1 of this forward,
 * as transformers' `dynamic_rope_update` does on each call: `longrope` takes the long factors when
 * L > original_max_position_embeddings, `dynamic` grows the base to θ·(factor·L/orig − (factor − 1))^(d/(d−2))
 * when L > orig. transformers also keeps the largest length seen (dynamic) across calls; the graph does not, so
 * a forward past the original length that follows a longer one can differ from a long-lived PyTorch module
 * (never below the original length, where both use the default frequencies).
 */
export function ropeTables(g: Graph, rope: RopeSettings, headDim: number, positionIds: Tensor, dtype: DType): RotaryTables {
  const dim = ropeRotaryDim(rope, headDim);
  const s = rope.ropeScaling;
  const scaling = ropeAttentionScaling(rope);
  if (s?.type === 'longrope') {
    const long = g.greater(g.reduceMax(positionIds), s.originalMaxPositions - 1);
    const inv = g.where(long, g.const(longRopeInverseFrequencies(rope, s, dim), dtype), g.const(ropeInverseFrequencies(rope, dim), dtype));
    return rotaryTables(g, inv, positionIds, dtype, scaling);
  }
  if (s?.type === 'dynamic') return rotaryTables(g, dynamicFrequencies(g, rope.ropeTheta, s, dim, positionIds, dtype), positionIds, dtype, scaling);
  return rotaryTables(g, ropeInverseFrequencies(rope, dim), positionIds, dtype, scaling);
}

/** Dynamic NTK: inv_freq_i = exp(−(2i/d)·ln θ'), ln θ' = ln θ + d/(d−2)·ln(factor·L/orig − factor + 1), L ≥ orig. */
function dynamicFrequencies(g: Graph, theta: number, s: Extract<RopeScaling, { type: 'dynamic' }>, dim: number, positionIds: Tensor, dtype: DType): Tensor {
  const length = g.max(g.add(g.cast(g.reduceMax(positionIds), 'float32'), 1), s.originalMaxPositions);
  const growth = g.log(g.sub(g.mul(length, s.factor / s.originalMaxPositions), s.factor - 1));
  const logBase = g.add(g.mul(growth, dim / (dim - 2)), Math.log(theta));
  const exponents = g.const(Array.from({ length: dim / 2 }, (_, i) => -(2 * i) / dim), 'float32');
  return g.cast(g.exp(g.mul(logBase, exponents)), dtype);
}
