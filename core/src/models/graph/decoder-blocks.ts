import type { Graph } from '../../engine/ir/graph.js';
import type { Tensor } from '../../engine/ir/tensor.js';
import type { DecoderInputs, WeightSource } from '../architecture.js';
import type { LayerAttention } from './attention.js';
import { linear, splitHeads } from './layers.js';
import { applyRotary, type RotaryTables } from './rotary.js';

/**
 * One self-attention layer as the Llama lineage writes it (canonical names `<prefix>.q|k|v|out`, optional
 * `<prefix>.q_norm|k_norm`): what each family varies is a field here, so families share one block.
 */
export interface SelfAttentionSpec {
  readonly numHeads: number;
  readonly numKvHeads: number;
  readonly headDim: number;
  /** q/k/v projections have biases. */
  readonly qkvBias: boolean;
  /** The output projection has a bias. */
  readonly outBias: boolean;
  /** RMSNorm of queries and keys before RoPE: per head (Qwen3, Gemma 3) or over the whole projection (OLMo 2); none when absent. */
  readonly qkNorm?: 'head' | 'projection';
  /** The norm applied to q/k (default `g.rmsNorm`): Gemma's scales by (1 + w). */
  readonly qkNormFn?: (x: Tensor, weight: Tensor) => Tensor;
  readonly normEps: number;
  /** Rotary tables for this layer; none for a layer without positions (SmolLM3's no-RoPE layers). */
  readonly rope: RotaryTables | null;
  /** Score scale and soft-capping (Gemma); absent: softmax(q·k / √headDim). */
  readonly attention?: LayerAttention;
}

/** The attention sub-block of layer `layer` on the normed input h [batch, seq, hidden] → [batch, seq, hidden]. */
export function selfAttention(g: Graph, w: WeightSource, inputs: DecoderInputs, layer: number, h: Tensor, spec: SelfAttentionSpec, prefix = `layers.${layer}.attn`): Tensor {
  const norm = spec.qkNormFn ?? ((x: Tensor, weight: Tensor) => g.rmsNorm(x, weight, spec.normEps));
  let q = linear(g, h, w, `${prefix}.q`, spec.qkvBias);
  let k = linear(g, h, w, `${prefix}.k`, spec.qkvBias);
  if (spec.qkNorm === 'projection') {
    q = norm(q, w(`${prefix}.q_norm.weight`));
    k = norm(k, w(`${prefix}.k_norm.weight`));
  }
  q = splitHeads(g, q, spec.numHeads, spec.headDim);
  k = splitHeads(g, k, spec.numKvHeads, spec.headDim);
  const v = splitHeads(g, linear(g, h, w, `${prefix}.v`, spec.qkvBias), spec.numKvHeads, spec.headDim);
  if (spec.qkNorm === 'head') {
    q = norm(q, w(`${prefix}.q_norm.weight`));
    k = norm(k, w(`${prefix}.k_norm.weight`));
  }
  if (spec.rope) {
    q = applyRotary(g, q, spec.rope);
    k = applyRotary(g, k, spec.rope);
  }
  return linear(g, inputs.attention.attend(layer, q, k, v, spec.attention), w, `${prefix}.out`, spec.outBias);
}

/** The gated MLP down(act(gate(h)) · up(h)) with canonical names `<prefix>.gate|up|down`; `act` is SiLU (SwiGLU) or GELU-tanh (GeGLU). */
export function gatedMlp(g: Graph, w: WeightSource, h: Tensor, prefix: string, act: (x: Tensor) => Tensor, bias: boolean): Tensor {
  const gated = g.mul(act(linear(g, h, w, `${prefix}.gate`, bias)), linear(g, h, w, `${prefix}.up`, bias));
  return linear(g, gated, w, `${prefix}.down`, bias);
}
