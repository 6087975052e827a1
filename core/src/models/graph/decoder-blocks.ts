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
  /** One `<prefix>.qkv` projection whose output is q | k | v (Phi-3's qkv_proj) instead of three. */
  readonly fusedQkv?: boolean;
  /** Score scale and soft-capping (Gemma); absent: softmax(q·k / √headDim). */
  readonly attention?: LayerAttention;
}

/** The attention sub-block of layer `layer` on the normed input h [batch, seq, hidden] → [batch, seq, hidden]. */
export function selfAttention(g: Graph, w: WeightSource, inputs: DecoderInputs, layer: number, h: Tensor, spec: SelfAttentionSpec, prefix = `layers.${layer}.attn`): Tensor {
  const norm = spec.qkNormFn ?? ((x: Tensor, weight: Tensor) => g.rmsNorm(x, weight, spec.normEps));
  const [qFlat, kFlat, vFlat] = projectQkv(g, w, h, spec, prefix);
  let q = qFlat;
  let k = kFlat;
  if (spec.qkNorm === 'projection') {
    q = norm(q, w(`${prefix}.q_norm.weight`));
    k = norm(k, w(`${prefix}.k_norm.weight`));
  }
  q = splitHeads(g, q, spec.numHeads, spec.headDim);
  k = splitHeads(g, k, spec.numKvHeads, spec.headDim);
  const v = splitHeads(g, vFlat, spec.numKvHeads, spec.headDim);
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

/** q, k, v projections [batch, seq, heads·headDim], from three linears or one fused `qkv` split in that order. */
function projectQkv(g: Graph, w: WeightSource, h: Tensor, spec: SelfAttentionSpec, prefix: string): [Tensor, Tensor, Tensor] {
  if (!spec.fusedQkv) return [linear(g, h, w, `${prefix}.q`, spec.qkvBias), linear(g, h, w, `${prefix}.k`, spec.qkvBias), linear(g, h, w, `${prefix}.v`, spec.qkvBias)];
  const kvDim = spec.numKvHeads * spec.headDim;
  return g.split(linear(g, h, w, `${prefix}.qkv`, spec.qkvBias), 2, [spec.numHeads * spec.headDim, kvDim, kvDim]) as [Tensor, Tensor, Tensor];
}

/**
 * The gated MLP down(act(gate(h)) · up(h)) with canonical names `<prefix>.gate|up|down`, or with one fused
 * `<prefix>.gate_up` whose first half is the gate (Phi-3's gate_up_proj); `act` is SiLU (SwiGLU) or GELU-tanh (GeGLU).
 */
export function gatedMlp(g: Graph, w: WeightSource, h: Tensor, prefix: string, act: (x: Tensor) => Tensor, bias: boolean, fused = false): Tensor {
  const [gate, up] = fused ? halves(g, linear(g, h, w, `${prefix}.gate_up`, bias)) : [linear(g, h, w, `${prefix}.gate`, bias), linear(g, h, w, `${prefix}.up`, bias)];
  return linear(g, g.mul(act(gate), up), w, `${prefix}.down`, bias);
}

function halves(g: Graph, x: Tensor): [Tensor, Tensor] {
  const half = (x.shape[2] as number) / 2;
  return g.split(x, 2, [half, half]) as [Tensor, Tensor];
}
