import { readDecoderShape, readRope, type HfModelConfig, type JsonFields, type RopeSettings, type SharedConfigKey } from '@aligntune/core/models';

/** Mixtral, Qwen2-MoE, Qwen3-MoE, OLMoE: a Llama-lineage decoder whose MLP is a routed mixture of SwiGLU experts. */
export interface MoeConfig extends HfModelConfig, RopeSettings {
  readonly family: 'moe';
  readonly rmsNormEps: number;
  readonly qkvBias: boolean;
  readonly outBias: boolean;
  /** Query/key RMSNorm before RoPE: per head (Qwen3-MoE) or over the whole projection (OLMoE); null: none. */
  readonly qkNorm: 'head' | 'projection' | null;
  readonly numExperts: number;
  /** Experts each token is routed to (top-k). */
  readonly numExpertsPerTok: number;
  /** Intermediate size of each routed expert. */
  readonly expertIntermediateSize: number;
  /** Renormalise the kept top-k probabilities to sum to 1 (Mixtral always; the others when `norm_topk_prob`). */
  readonly normTopkProb: boolean;
  /** Qwen2-MoE's shared expert (with its sigmoid gate) and its intermediate size; null: none. */
  readonly sharedExpertIntermediateSize: number | null;
  /** Per layer: a mixture-of-experts block (true) or a dense MLP of `intermediateSize` (Qwen's `decoder_sparse_step` / `mlp_only_layers`). */
  readonly sparseLayers: readonly boolean[];
  /** The load-balancing loss added in training (`output_router_logits: true`) with `router_aux_loss_coef`; null when off. */
  readonly routerAuxLossCoef: number | null;
}

/** How one MoE model type differs: transformers' defaults for it and which optional parts it reads. */
export interface MoeVariant {
  /** max_position_embeddings when absent. */
  readonly maxPositions: number;
  readonly rmsNormEps: number;
  readonly ropeTheta: number;
  /** q/k/v/o biases: `attention_bias` (all four when true), `qkv_bias` (q/k/v, default true: Qwen2-MoE) or none. */
  readonly attentionBias: 'attention_bias' | 'qkv_bias' | 'none';
  readonly qkNorm: 'head' | 'projection' | null;
  /** The config.json field holding the expert count and its default. */
  readonly expertsField: 'num_local_experts' | 'num_experts';
  readonly numExperts: number;
  readonly numExpertsPerTok: number;
  /** The field of each expert's intermediate size (`moe_intermediate_size` for Qwen, `intermediate_size` otherwise) and its default. */
  readonly expertSizeField: 'intermediate_size' | 'moe_intermediate_size';
  readonly expertIntermediateSize: number;
  /** `always` (Mixtral renormalises unconditionally) or the default of `norm_topk_prob`. */
  readonly normTopkProb: 'always' | boolean;
  readonly sharedExpert: boolean;
  /** Reads `decoder_sparse_step` and `mlp_only_layers` (Qwen); otherwise every layer is sparse. */
  readonly denseLayers: boolean;
  /** Reads Mistral-style `sliding_window` (Mixtral); otherwise `use_sliding_window: true` is refused. */
  readonly slidingWindow: boolean;
  readonly routerAuxLossCoef: number;
}

/** An MoE config.json (MoeConfig's fields) in the canonical names; what the engine cannot run is refused by name. */
export function readMoeConfig(f: JsonFields, variant: MoeVariant): Omit<MoeConfig, SharedConfigKey> {
  const shape = readDecoderShape(f, { maxPositions: variant.maxPositions, tieWordEmbeddings: false });
  // OLMoE's q_norm spans hidden_size
  if (variant.qkNorm === 'projection' && shape.headDim * shape.numHeads !== shape.hiddenSize) f.fail('head_dim', `${shape.headDim} × ${shape.numHeads} heads must equal hidden_size ${shape.hiddenSize} (q_norm spans hidden_size)`);
  refuseUnsupported(f, variant);
  const numLayers = shape.numLayers;
  const numExperts = f.countOr(variant.expertsField, variant.numExperts);
  const numExpertsPerTok = f.countOr('num_experts_per_tok', variant.numExpertsPerTok);
  if (numExpertsPerTok > numExperts) f.fail('num_experts_per_tok', `${numExpertsPerTok} is more than the ${numExperts} experts (${variant.expertsField})`);
  const bias = attentionBias(f, variant);
  return {
    family: 'moe',
    ...shape,
    slidingWindow: variant.slidingWindow && f.has('sliding_window') ? f.count('sliding_window') : null,
    rmsNormEps: f.numberOr('rms_norm_eps', variant.rmsNormEps),
    ...readRope(f, variant.ropeTheta),
    ...bias,
    qkNorm: variant.qkNorm,
    numExperts,
    numExpertsPerTok,
    expertIntermediateSize: f.countOr(variant.expertSizeField, variant.expertIntermediateSize),
    normTopkProb: variant.normTopkProb === 'always' || f.boolOr('norm_topk_prob', variant.normTopkProb),
    sharedExpertIntermediateSize: variant.sharedExpert ? f.count('shared_expert_intermediate_size') : null,
    sparseLayers: variant.denseLayers ? sparseLayers(f, numLayers) : Array.from({ length: numLayers }, () => true),
    routerAuxLossCoef: f.boolOr('output_router_logits', false) ? f.numberOr('router_aux_loss_coef', variant.routerAuxLossCoef) : null,
  };
}

function refuseUnsupported(f: JsonFields, variant: MoeVariant): void {
  if (!variant.slidingWindow && f.boolOr('use_sliding_window', false)) f.fail('use_sliding_window', `sliding-window attention is not supported for ${f.raw.model_type}`);
  if (f.numberOr('router_jitter_noise', 0) !== 0) f.fail('router_jitter_noise', 'random router jitter in training is not supported (set it to 0)');
  if (f.has('clip_qkv')) f.fail('clip_qkv', 'clipping of queries, keys and values is not supported (set it to null)');
}

function attentionBias(f: JsonFields, variant: MoeVariant): { qkvBias: boolean; outBias: boolean } {
  if (variant.attentionBias === 'qkv_bias') return { qkvBias: f.boolOr('qkv_bias', true), outBias: false };
  const bias = variant.attentionBias === 'attention_bias' && f.boolOr('attention_bias', false);
  return { qkvBias: bias, outBias: bias };
}

/** transformers: layer i is sparse unless listed in mlp_only_layers, and when (i + 1) % decoder_sparse_step == 0. */
function sparseLayers(f: JsonFields, numLayers: number): boolean[] {
  const step = f.countOr('decoder_sparse_step', 1);
  const dense = f.raw.mlp_only_layers ?? [];
  if (!Array.isArray(dense) || !dense.every((i) => Number.isSafeInteger(i) && i >= 0 && i < numLayers)) {
    f.fail('mlp_only_layers', `must be a list of layer indices below num_hidden_layers ${numLayers}, got ${JSON.stringify(dense)}`);
  }
  return Array.from({ length: numLayers }, (_, i) => !dense.includes(i) && (i + 1) % step === 0);
}
