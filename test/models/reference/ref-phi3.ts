import type { HfModelConfig } from '@aligntune/core';
import type { RefLlamaShape } from './ref-llama.js';
import { WeightReader, type RefWeights } from './ref-types.js';

/**
 * Phi3Model as Llama: Phi3Attention slices qkv_proj's output as q = [0, heads·d), k = the next kv_heads·d,
 * v = the rest, and Phi3MLP chunks gate_up_proj's output in two, gate first. Those row slices of the fused
 * nn.Linear weights ([out, in]) are LlamaModel's q/k/v_proj and gate/up_proj; the rest of the layer (RMSNorm,
 * partial rotary and LongRoPE from config.json, GQA, no biases) is Llama's, so the reference runs Llama's loops
 * on the sliced weights.
 */
export function phi3AsLlama(c: HfModelConfig & { readonly rmsNormEps: number }, weights: RefWeights): { shape: RefLlamaShape; reader: WeightReader } {
  const source = new WeightReader(weights);
  const p = source.has('model.embed_tokens.weight') ? 'model.' : '';
  const h = c.hiddenSize;
  const qRows = c.numHeads * c.headDim;
  const kvRows = c.numKvHeads * c.headDim;
  const out = new Map<string, ArrayLike<number>>(weights);
  const rows = (data: ArrayLike<number>, from: number, to: number) => Float64Array.from({ length: (to - from) * h }, (_, i) => data[from * h + i]!);
  for (let l = 0; l < c.numLayers; l++) {
    const a = `${p}layers.${l}.self_attn`;
    const m = `${p}layers.${l}.mlp`;
    const qkv = source.vec(`${a}.qkv_proj.weight`, (qRows + 2 * kvRows) * h);
    out.set(`${a}.q_proj.weight`, rows(qkv, 0, qRows));
    out.set(`${a}.k_proj.weight`, rows(qkv, qRows, qRows + kvRows));
    out.set(`${a}.v_proj.weight`, rows(qkv, qRows + kvRows, qRows + 2 * kvRows));
    const gateUp = source.vec(`${m}.gate_up_proj.weight`, 2 * c.intermediateSize * h);
    out.set(`${m}.gate_proj.weight`, rows(gateUp, 0, c.intermediateSize));
    out.set(`${m}.up_proj.weight`, rows(gateUp, c.intermediateSize, 2 * c.intermediateSize));
  }
  return { shape: { ...c, qkvBias: false, outBias: false, mlpBias: false, qkNorm: false }, reader: new WeightReader(out) };
}
