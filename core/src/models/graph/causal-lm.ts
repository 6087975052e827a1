import type { Dim } from '../../engine/ir/dim.js';
import type { Graph } from '../../engine/ir/graph.js';
import type { Tensor } from '../../engine/ir/tensor.js';
import type { ModelArchitecture, WeightSource } from '../architecture.js';
import type { AuxiliaryLoss, AuxiliaryLossSink } from '../auxiliary-loss.js';
import { layerWindows, type HfModelConfig } from '../hf-model-config.js';
import { AttentionContext, type KvPair } from './attention.js';
import type { GraphWeights } from './graph-weights.js';
import { headLogits, LmHead } from './lm-head.js';

/** The token inputs of a forward graph. */
export interface TokenInputs {
  /** [batch, seq] int64 */
  readonly inputIds: Tensor;
  /** [batch, seq] int64, 1 = real token. */
  readonly attentionMask: Tensor;
  /** [batch, seq] int64 */
  readonly positionIds: Tensor;
}

export const BATCH: Dim = 'batch';
export const SEQ: Dim = 'seq';

/** Declares `input_ids`, `attention_mask` and `position_ids` ([batch, seq] int64) under an optional name prefix. */
export function declareTokenInputs(g: Graph, prefix = '', batch: Dim = BATCH, seq: Dim = SEQ): TokenInputs {
  return {
    inputIds: g.input(`${prefix}input_ids`, 'int64', [batch, seq]),
    attentionMask: g.input(`${prefix}attention_mask`, 'int64', [batch, seq]),
    positionIds: g.input(`${prefix}position_ids`, 'int64', [batch, seq]),
  };
}

export interface DecoderForward {
  /** Final hidden states [batch, seq, hidden]. */
  readonly hidden: Tensor;
  /** Per-layer present keys/values (see AttentionContext). */
  readonly presents: readonly KvPair[];
  /** The architecture's auxiliary training losses (none on generation forwards); the algorithms add them to their loss. */
  readonly auxiliaryLosses: readonly AuxiliaryLoss[];
}

/** Runs an architecture's decoder over padded token inputs (no KV cache): training, scoring, prefill. */
export function decoderForward(g: Graph, arch: ModelArchitecture, config: HfModelConfig, weights: GraphWeights, inputs: TokenInputs): DecoderForward {
  const attention = new AttentionContext(g, {
    mode: 'none',
    dtype: weights.dtype,
    attentionMask: inputs.attentionMask,
    queryLen: inputs.inputIds.shape[1]!,
    windows: layerWindows(config),
  });
  return cachedDecoderForward(g, arch, config, weights, inputs.inputIds, inputs.positionIds, attention, { attentionMask: inputs.attentionMask, losses: [] });
}

/** The decoder with a caller-built attention context (KV cache modes); `auxiliary` only where a loss may be built on it. */
export function cachedDecoderForward(
  g: Graph,
  arch: ModelArchitecture,
  config: HfModelConfig,
  weights: GraphWeights,
  inputIds: Tensor,
  positionIds: Tensor,
  attention: AttentionContext,
  auxiliary?: AuxiliaryLossSink,
): DecoderForward {
  const hidden = arch.buildDecoder(g, config, layerSegments(g, weights.source), { inputIds, positionIds, attention, ...(auxiliary ? { auxiliary } : {}) });
  g.endSegment();
  return { hidden, presents: attention.presents, auxiliaryLosses: auxiliary?.losses ?? [] };
}

/**
 * Each decoder layer's nodes as one recompute segment (gradient checkpointing), for every architecture: a layer
 * starts where the architecture first asks for one of its weights (`layers.<i>.…`, the canonical names) and ends
 * at the next layer's first weight or at any other weight (the final norm, the LM head).
 */
function layerSegments(g: Graph, source: WeightSource): WeightSource {
  let layer: string | undefined;
  const enter = (name: string): void => {
    const current = /^layers\.(\d+)\./.exec(name)?.[1];
    if (current === layer) return;
    layer = current;
    if (current === undefined) g.endSegment();
    else g.beginSegment();
  };
  const segmented = (name: string, after?: Tensor): Tensor => {
    enter(name);
    return source(name, after);
  };
  // the source's hooks go along: `linear` asks for the adapter's (LoRA), `embedTokens` for the stored table
  const { adaptLinear, elementwise } = source;
  return Object.assign(segmented, { adaptLinear, elementwise: elementwise && ((name: string) => (enter(name), elementwise(name))) });
}

/**
 * Language-model logits [.., vocab] of hidden states [.., hidden]: the tied embedding or the untied lm_head, soft-capped
 * (cap·tanh(logits / cap)) when the config has a final_logit_softcapping, so log-probs, generation and export all see it.
 */
export function lmHeadLogits(g: Graph, config: HfModelConfig, weights: WeightSource, hidden: Tensor): Tensor {
  const tied = config.tieWordEmbeddings;
  const name = tied ? 'embed.tokens' : 'lm_head.weight';
  return headLogits(g, new LmHead(hidden, weights(name, hidden), tied, config.finalLogitSoftcapping, weights.elementwise?.(name)));
}

/** The bias-free `score` head of *ForSequenceClassification / TRL value models: [.., hidden] → [.., numLabels]. */
export function scoreHead(weights: WeightSource, g: Graph, hidden: Tensor): Tensor {
  return g.matmul(hidden, weights('score.weight'));
}
