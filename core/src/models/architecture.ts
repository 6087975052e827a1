import type { Graph } from '../engine/ir/graph.js';
import type { Tensor } from '../engine/ir/tensor.js';
import { extensionPoint } from '../kernel/extension-point.js';
import type { ArchitectureOptions } from '../kernel/contribution.js';
import type { Kernel } from '../kernel/kernel.js';
import type { HfModelConfig } from './hf-model-config.js';
import type { ModelTypeTable, ModelTypeTraits } from './model-type.js';
import type { AttentionContext } from './graph/attention.js';
import type { AuxiliaryLossSink } from './auxiliary-loss.js';

/**
 * Returns the graph tensor of a canonical weight (`layers.0.attn.q.weight`); the caller decides input vs initializer.
 * `after`: the value its reader computes from (a linear layer's input), so a stored weight is decoded for that reader,
 * once the value exists, rather than once for every reader.
 */
export interface WeightSource {
  (canonicalName: string, after?: Tensor): Tensor;
  /**
   * What an adapter adds to linear `name` (canonical, without `.weight`) on input x, or undefined when the linear
   * is not adapted: `linear` asks, so every architecture built from it takes LoRA adapters without knowing of them.
   */
  readonly adaptLinear?: (g: Graph, x: Tensor, name: string) => Tensor | undefined;
  /**
   * Weight `name` as stored, when its decode reads each element alone (bf16, fp16 storage), else undefined (a weight
   * used as it is, or quantized): a reader of some rows (the embedding lookup) or of a slice (an LM head chunk)
   * takes them from the stored parts and decodes only those, never the whole float32 weight.
   */
  readonly elementwise?: (name: string) => ElementwiseWeight | undefined;
}

/** A weight's stored parts on the graph (graph inputs or initializers, by suffix) and their decode to float32. */
export interface ElementwiseWeight {
  readonly parts: Readonly<Record<string, Tensor>>;
  decode(parts: Readonly<Record<string, Tensor>>): Tensor;
}

/**
 * What a decoder reads: token ids and positions ([batch, seq] int64) and the attention context (mask bias, KV cache).
 * `auxiliary` is present on forwards a loss may be built on (training, scoring), absent on generation: an
 * architecture with a training-only loss (MoE load balancing) appends it there; the algorithms add it to theirs.
 */
export interface DecoderInputs {
  readonly inputIds: Tensor;
  readonly positionIds: Tensor;
  readonly attention: AttentionContext;
  readonly auxiliary?: AuxiliaryLossSink;
}

/**
 * A decoder-only architecture, contributed by a plugin class decorated `@Architecture({ modelTypes })`, which
 * also says how each of its model types reads config.json (ModelTypeTraits), so `config` was parsed by this
 * plugin's own traits. It builds embeddings → blocks → final norm on the caller's graph; heads (lm_head, score)
 * are generic and live in core (`lmHeadLogits`, `scoreHead`), as does attention (`AttentionContext.attend`).
 */
export interface ModelArchitecture<C extends HfModelConfig = HfModelConfig> {
  /** Final hidden states [batch, seq, hidden] (after the final norm). KV presents are collected by `inputs.attention`. */
  buildDecoder(g: Graph, config: C, weights: WeightSource, inputs: DecoderInputs): Tensor;
}

/** The `architecture` extension point: ids are Hugging Face `model_type`s. */
export const architecturePoint = extensionPoint<ModelArchitecture>('architecture');

/**
 * The model types the kernel's architecture plugins read (each plugin is imported to ask). A plugin that
 * fails to load is skipped unless it provides `needed`, whose failure is thrown.
 */
export async function modelTypesOf(kernel: Kernel, needed?: string): Promise<ModelTypeTable> {
  const table: Record<string, ModelTypeTraits> = {};
  for (const id of kernel.ids(architecturePoint.kind)) {
    try {
      table[id] = modelTypeTraits(kernel, id, (await kernel.ensure(architecturePoint.kind, id)).metadata);
    } catch (error) {
      if (id === needed) throw error;
    }
  }
  return table;
}

function modelTypeTraits(kernel: Kernel, modelType: string, metadata: object): ModelTypeTraits {
  const traits = (metadata as Partial<ArchitectureOptions>).modelTypes?.[modelType] as Partial<ModelTypeTraits> | undefined;
  if (typeof traits?.readConfig === 'function' && typeof traits.tensorSpecs === 'function') return traits as ModelTypeTraits;
  const source = kernel.record(architecturePoint.kind, modelType)?.source ?? 'its plugin';
  throw new Error(`architecture "${modelType}" (${source}) declares no model type traits: decorate it @Architecture({ modelTypes: { ${JSON.stringify(modelType)}: traits } })`);
}
