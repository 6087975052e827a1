import { readDecoderShape, readRope, ropeRotaryDim, type HfModelConfig, type JsonFields, type PreNormDecoderLayout, type RopeSettings, type SharedConfigKey } from '@aligntune/core/models';

/** Phi-3, Phi-3.5 and Phi-4-mini: a Llama-lineage decoder with fused qkv_proj and gate_up_proj, partial rotary, LongRoPE. */
export interface Phi3Config extends HfModelConfig, RopeSettings {
  readonly family: 'phi3';
  readonly rmsNormEps: number;
}

/** Phi3Config's fields as transformers reads them (its defaults: max_position_embeddings 4096, rms_norm_eps 1e-5, no sliding window). */
export function readPhi3Config(f: JsonFields): Omit<Phi3Config, SharedConfigKey> {
  const shape = readDecoderShape(f, { maxPositions: 4096, tieWordEmbeddings: false });
  // transformers' Phi3 projections have no biases; a config asking for them describes tensors it would not load.
  for (const bias of ['attention_bias', 'mlp_bias', 'lm_head_bias']) if (f.boolOr(bias, false)) f.fail(bias, 'Phi-3 has no biases (transformers builds its projections without them)');
  const rope = readRope(f, 10000, shape.maxPositionEmbeddings);
  const rotaryDim = ropeRotaryDim(rope, shape.headDim);
  if (rotaryDim % 2 !== 0) f.fail('partial_rotary_factor', `rotates ${rotaryDim} of head_dim ${shape.headDim}, which must be even`);
  return {
    family: 'phi3',
    ...shape,
    slidingWindow: f.has('sliding_window') ? f.count('sliding_window') : null,
    rmsNormEps: f.numberOr('rms_norm_eps', 1e-5),
    ...rope,
  };
}

/** The decoder core builds and lays out: q | k | v in one qkv_proj, gate | up in one gate_up_proj. */
export function phi3Layout(c: Phi3Config): PreNormDecoderLayout {
  return { ...c, qkvBias: false, outBias: false, mlpBias: false, fusedQkv: true, fusedMlp: true };
}
