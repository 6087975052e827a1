import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { HostTensor } from '../../engine/graph-executor.js';
import type { Graph } from '../../engine/ir/graph.js';
import type { Tensor } from '../../engine/ir/tensor.js';
import type { AuxiliaryLoss } from '../auxiliary-loss.js';
import type { TokenInputs } from '../graph/causal-lm.js';
import type { GraphWeights } from '../graph/graph-weights.js';
import type { PublishDtypes } from '../save-dtype.js';
import type { DecoderModel } from './decoder-model.js';
import { loadModel, type LoadModelOptions } from './load-model.js';
import { saveAdapterDir } from '../lora/peft-files.js';
import { copyTokenizerFiles } from '../model-dir.js';

/** A causal LM forward on a graph: logits [batch, seq, vocab], final hidden states, the bound weights, and the architecture's auxiliary losses. */
export interface CausalLmGraph {
  readonly logits: Tensor;
  readonly hidden: Tensor;
  readonly weights: GraphWeights;
  readonly auxiliaryLosses: readonly AuxiliaryLoss[];
}

/**
 * The trainable model: its weights are graph inputs (named by canonical name, plus an optional prefix),
 * so autodiff can differentiate them and a TrainSession can feed and update them. Saving writes a
 * Hugging Face directory with the checkpoint's original tensor names.
 */
export class PolicyModel {
  constructor(readonly model: DecoderModel) {}

  static async load(dirOrId: string, options: LoadModelOptions = {}): Promise<PolicyModel> {
    return new PolicyModel(await loadModel(dirOrId, options));
  }

  forward(g: Graph, inputs: TokenInputs, prefix = ''): CausalLmGraph {
    const { hidden, weights, auxiliaryLosses } = this.model.forward(g, inputs, 'input', prefix);
    return { hidden, weights, auxiliaryLosses, logits: this.model.lmLogits(g, weights, hidden) };
  }

  /** Initial values of every parameter (graph name → host tensor), for TrainSession.create. */
  params(prefix = ''): Record<string, HostTensor> {
    return this.model.namedWeights(prefix);
  }

  /** Takes updated parameters back (TrainSession.params), e.g. before saving or generating. */
  absorb(params: Readonly<Record<string, HostTensor>>, prefix = ''): void {
    this.model.setWeights(params, prefix);
  }

  /**
   * A Hugging Face model directory, or with LoRA the adapter as PEFT saves it (adapter_config.json,
   * adapter_model.safetensors) plus the tokenizer; in `dtypes` (default float32: a resumable checkpoint's master weights).
   */
  async save(dir: string, dtypes?: PublishDtypes): Promise<void> {
    const source = this.model.source;
    const tokenizer = source !== undefined && existsSync(join(source, 'tokenizer.json')) ? source : undefined;
    const adapter = this.model.adapter;
    if (!adapter) return this.model.save(dir, { tokenizer, dtype: dtypes?.weights });
    await saveAdapterDir(dir, adapter, adapter.baseModelNameOrPath, dtypes);
    if (tokenizer) await copyTokenizerFiles(tokenizer, dir);
  }
}

/** Graph-name prefix of a reference model's weights, so they never collide with the policy's. */
export const REFERENCE_PREFIX = 'ref.';

/** A frozen copy for KL/DPO references: weights are initializers inside the graph, never fed. Graph names default to `ref.`. */
export class ReferenceModel {
  constructor(readonly model: DecoderModel) {}

  static async load(dirOrId: string, options: LoadModelOptions = {}): Promise<ReferenceModel> {
    return new ReferenceModel(await loadModel(dirOrId, options));
  }

  forward(g: Graph, inputs: TokenInputs, prefix = REFERENCE_PREFIX): CausalLmGraph {
    const { hidden, weights, auxiliaryLosses } = this.model.forward(g, inputs, 'initializer', prefix);
    return { hidden, weights, auxiliaryLosses, logits: this.model.lmLogits(g, weights, hidden) };
  }
}
