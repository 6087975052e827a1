import { readRope, type HfModelConfig, type JsonFields, type PreNormDecoderLayout, type RopeSettings, type SharedConfigKey } from '@aligntune/core/models';

/** Phi-3, Phi-3.5 and Phi-4-mini: a Llama-lineage decoder with fused qkv_proj and gate_up_proj, partial rotary, LongRoPE. */
export interface Phi3Config extends HfModelConfig, RopeSettings {
  readonly family: 'phi3';
  readonly rmsNormEps: number;
}

/** Phi3Config's fields as transformers reads them (its defaults: max_position_embeddings 4096, rms_norm_eps 1e-5, no sliding window). */
export function readPhi3Config(f: JsonFields): Omit<Phi3Config, SharedConfigKey> {
  const hiddenSize = f.count('hidden_size');
  const numHeads = f.count('num_attention_heads');
  const numKvHeads = f.countOr('num_key_value_heads', numHeads);
  if (numHeads % numKvHeads !== 0) f.fail('num_key_value_heads', `${numKvHeads} does not divide num_attention_heads ${numHeads}`);
  if (!f.has('head_dim') && hiddenSize % numHeads !== 0) f.fail('num_attention_heads', `hidden_size ${hiddenSize} is not divisible by ${numHeads}`);
  const act = f.stringOr('hidden_act', 'silu');
  if (act !== 'silu') f.fail('hidden_act', `"${act}" is not supported (supported: silu)`);
  // transformers' Phi3 projections have no biases; a config asking for them describes tensors it would not load.
  for (const bias of ['attention_bias', 'mlp_bias', 'lm_head_bias']) if (f.boolOr(bias, false)) f.fail(bias, 'Phi-3 has no biases (transformers builds its projections without them)');
  const maxPositionEmbeddings = f.countOr('max_position_embeddings', 4096);
  const rope = readRope(f, 10000, maxPositionEmbeddings);
  const headDim = f.countOr('head_dim', hiddenSize / numHeads);
  const rotaryDim = Math.floor(headDim * (rope.partialRotaryFactor ?? 1));
  if (rotaryDim % 2 !== 0) f.fail('partial_rotary_factor', `rotates ${rotaryDim} of head_dim ${headDim}, which must be even`);
  return {
    family: 'phi3',
    vocabSize: f.count('vocab_size'),
    hiddenSize,
    numLayers: f.count('num_hidden_layers'),
    numHeads,
    numKvHeads,
    headDim,
    intermediateSize: f.count('intermediate_size'),
    maxPositionEmbeddings,
    tieWordEmbeddings: f.boolOr('tie_word_embeddings', false),
    initializerRange: f.numberOr('initializer_range', 0.02),
    slidingWindow: f.has('sliding_window') ? f.count('sliding_window') : null,
    rmsNormEps: f.numberOr('rms_norm_eps', 1e-5),
    ...rope,
  };
}

/** The decoder core builds and lays out: q | k | v in one qkv_proj, gate | up in one gate_up_proj. */
export function phi3Layout(c: Phi3Config): PreNormDecoderLayout {
  return { ...c, qkvBias: false, outBias: false, mlpBias: false, fusedQkv: true, fusedMlp: true };
}
