import { type DType, type Graph, type Tensor } from '@aligntune/core/engine';
import type { LlamaConfig } from './llama-config.js';

/** HF's inv_freq: 1 / θ^(2i/d), divided by the factor under linear rope_scaling. */
export function inverseFrequencies(config: LlamaConfig): number[] {
  const d = config.headDim;
  const factor = config.ropeScaling?.factor ?? 1;
  return Array.from({ length: d / 2 }, (_, i) => 1 / (config.ropeTheta ** ((2 * i) / d) * factor));
}

/** cos and sin of cat(freqs, freqs) for position ids [batch, seq] → [batch, seq, 1, headDim] (broadcast over heads). */
export function rotaryTables(g: Graph, config: LlamaConfig, positionIds: Tensor, dtype: DType): { cos: Tensor; sin: Tensor } {
  const inv = inverseFrequencies(config);
  const freqs = g.mul(g.unsqueeze(g.cast(positionIds, dtype), [2]), g.const(inv, dtype));
  const emb = g.unsqueeze(g.concat([freqs, freqs], -1), [2]);
  return { cos: g.cos(emb), sin: g.sin(emb) };
}

/** x·cos + rotate_half(x)·sin with rotate_half(x) = [−x2, x1] (halves, HF's convention). x: [batch, seq, heads, d]. */
export function applyRotary(g: Graph, x: Tensor, cos: Tensor, sin: Tensor): Tensor {
  const half = (x.shape[3] as number) / 2;
  const [x1, x2] = g.split(x, 3, [half, half]) as [Tensor, Tensor];
  return g.add(g.mul(x, cos), g.mul(g.concat([g.neg(x2), x1], 3), sin));
}
