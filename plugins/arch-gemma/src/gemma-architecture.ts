import { Architecture } from '@aligntune/core/kernel';
import { type Graph, type Tensor } from '@aligntune/core/engine';
import { embedTokens, gatedMlp, ropeTables, selfAttention, type DecoderInputs, type ModelArchitecture, type SelfAttentionSpec, type WeightSource } from '@aligntune/core/models';
import type { GemmaConfig } from './gemma-config.js';
import { GEMMA_MODEL_TYPES } from './gemma-model-types.js';

/**
 * Gemma 2 and Gemma 3 (text): embeddings × √hidden, (1 + w) RMSNorms before and after attention and MLP, GeGLU,
 * scores scaled by query_pre_attn_scalar^−1/2 (soft-capped in Gemma 2), sliding-window (local) and global layers
 * with Gemma 3's per-head q/k norms and local RoPE base. Final-logit soft-capping and the tied head are core's.
 */
@Architecture({ modelTypes: GEMMA_MODEL_TYPES })
export class GemmaArchitecture implements ModelArchitecture<GemmaConfig> {
  buildDecoder(g: Graph, c: GemmaConfig, w: WeightSource, inputs: DecoderInputs): Tensor {
    const embedded = embedTokens(g, w, inputs.inputIds);
    // transformers casts √hidden to the embedding's dtype before multiplying
    let x = g.mul(embedded, g.scalar(Math.sqrt(c.hiddenSize), embedded.dtype));
    const norm = (t: Tensor, weight: Tensor) => g.rmsNorm(t, g.add(weight, 1), c.rmsNormEps);
    const tables = (rope: GemmaConfig['globalRope']) => ropeTables(g, rope, c.headDim, inputs.positionIds, x.dtype);
    const globalRope = tables(c.globalRope);
    const localRope = c.localRope === c.globalRope ? globalRope : tables(c.localRope);
    const attention: Omit<SelfAttentionSpec, 'rope'> = {
      numHeads: c.numHeads,
      numKvHeads: c.numKvHeads,
      headDim: c.headDim,
      qkvBias: c.attentionBias,
      outBias: c.attentionBias,
      normEps: c.rmsNormEps,
      attention: { scale: c.queryPreAttnScalar ** -0.5, softcap: c.attnLogitSoftcapping },
      ...(c.qkNorm ? { qkNorm: 'head' as const, qkNormFn: norm } : {}),
    };
    for (let i = 0; i < c.numLayers; i++) {
      const p = `layers.${i}`;
      const spec = { ...attention, rope: c.slidingLayers[i] ? localRope : globalRope };
      x = g.add(x, norm(selfAttention(g, w, inputs, i, norm(x, w(`${p}.norm1.weight`)), spec), w(`${p}.post_attn_norm.weight`)));
      const mlp = gatedMlp(g, w, norm(x, w(`${p}.norm2.weight`)), `${p}.mlp`, (t) => g.gelu(t), false);
      x = g.add(x, norm(mlp, w(`${p}.post_mlp_norm.weight`)));
    }
    return norm(x, w('final_norm.weight'));
  }
}
