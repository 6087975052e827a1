import type { Graph } from '../engine/ir/graph.js';
import type { Tensor } from '../engine/ir/tensor.js';
import { extensionPoint } from '../kernel/extension-point.js';
import type { HfModelConfig } from './hf-model-config.js';
import type { AttentionContext } from './graph/attention.js';

/** Returns the graph tensor of a canonical weight (`layers.0.attn.q.weight`); the caller decides input vs initializer. */
export type WeightSource = (canonicalName: string) => Tensor;

/** What a decoder reads: token ids and positions ([batch, seq] int64) and the attention context (mask bias, KV cache). */
export interface DecoderInputs {
  readonly inputIds: Tensor;
  readonly positionIds: Tensor;
  readonly attention: AttentionContext;
}

/**
 * A decoder-only architecture, contributed by a plugin class decorated `@Architecture(...modelTypes)`.
 * It builds embeddings → blocks → final norm on the caller's graph; heads (lm_head, score) are generic
 * and live in core (`lmHeadLogits`, `scoreHead`), as does attention (`AttentionContext.attend`), so a
 * plugin only spells out what differs between families.
 */
export interface ModelArchitecture {
  /** Final hidden states [batch, seq, hidden] (after the final norm). KV presents are collected by `inputs.attention`. */
  buildDecoder(g: Graph, config: HfModelConfig, weights: WeightSource, inputs: DecoderInputs): Tensor;
}

/** The `architecture` extension point: ids are Hugging Face `model_type`s. */
export const architecturePoint = extensionPoint<ModelArchitecture>('architecture');
