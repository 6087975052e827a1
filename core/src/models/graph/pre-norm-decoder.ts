import type { Graph } from '../../engine/ir/graph.js';
import type { Tensor } from '../../engine/ir/tensor.js';
import type { DecoderInputs, WeightSource } from '../architecture.js';
import type { PreNormDecoderLayout } from '../decoder-layout.js';
import type { RopeSettings } from '../rope.js';
import { gatedMlp, selfAttention } from './decoder-blocks.js';
import { embedTokens } from './layers.js';
import { ropeTables } from './rope-tables.js';

/** A pre-norm decoder as built: its layout plus the norm epsilon, RoPE and which layers rotate. */
export interface PreNormDecoderSpec extends PreNormDecoderLayout {
  readonly normEps: number;
  readonly rope: RopeSettings;
  /** Whether each layer applies RoPE (SmolLM3's `no_rope_layers`: 1 = rotate); every layer when absent. */
  readonly ropeLayers?: readonly boolean[];
}

/**
 * Embeddings → per layer x += attn(rmsNorm(x)), x += swiglu(rmsNorm(x)) → final RMSNorm, on the canonical
 * weights of `preNormDecoderSpecs`: Llama, Mistral, Qwen2/3, Phi-3 and SmolLM3 are this with different fields.
 */
export function preNormDecoder(g: Graph, w: WeightSource, inputs: DecoderInputs, spec: PreNormDecoderSpec): Tensor {
  const eps = spec.normEps;
  let x = embedTokens(g, w, inputs.inputIds);
  const rope = ropeTables(g, spec.rope, spec.headDim, inputs.positionIds, x.dtype);
  const attention = { ...spec, rope };
  for (let i = 0; i < spec.numLayers; i++) {
    const p = `layers.${i}`;
    const layerAttention = spec.ropeLayers?.[i] === false ? { ...attention, rope: null } : attention;
    x = g.add(x, selfAttention(g, w, inputs, i, g.rmsNorm(x, w(`${p}.norm1.weight`), eps), layerAttention));
    x = g.add(x, gatedMlp(g, w, g.rmsNorm(x, w(`${p}.norm2.weight`), eps), `${p}.mlp`, (t) => g.silu(t), spec.mlpBias, spec.fusedMlp));
  }
  return g.rmsNorm(x, w('final_norm.weight'), eps);
}
