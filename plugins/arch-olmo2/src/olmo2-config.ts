import { readDecoderShape, readRope, type HfModelConfig, type JsonFields, type RopeSettings, type SharedConfigKey } from '@aligntune/core/models';

/** OLMo 2: Llama's blocks with RMSNorms after attention and MLP (post-norm) and q/k RMSNorm over the whole projection. */
export interface Olmo2Config extends HfModelConfig, RopeSettings {
  readonly family: 'olmo2';
  readonly rmsNormEps: number;
  /** q/k/v/o projections have biases (`attention_bias`). */
  readonly attentionBias: boolean;
}

/** An OLMo 2 config.json in the canonical names (transformers' Olmo2Config defaults); what the engine cannot run is refused by name. */
export function readOlmo2Config(f: JsonFields): Omit<Olmo2Config, SharedConfigKey> {
  // Olmo2Config has no head_dim: always hidden / heads
  const shape = readDecoderShape(f, { maxPositions: 2048, tieWordEmbeddings: false, noHeadDimField: true });
  return {
    family: 'olmo2',
    ...shape,
    slidingWindow: null,
    rmsNormEps: f.numberOr('rms_norm_eps', 1e-5),
    attentionBias: f.boolOr('attention_bias', false),
    ...readRope(f),
  };
}
