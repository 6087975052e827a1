import type { UnifiedConfig } from '../config/unified-config.js';
import type { RecordKind } from '../data/canonical-record.js';
import type { TokenizedDataset } from '../data/tokenized-dataset.js';
import type { GraphExecutor, HostTensor } from '../engine/graph-executor.js';
import type { Graph } from '../engine/ir/graph.js';
import type { ProcessGroup } from '../engine/process-group.js';
import type { Tensor } from '../engine/ir/tensor.js';
import type { Kernel } from '../kernel/kernel.js';
import type { FrozenWeights } from '../models/quant/frozen-weights.js';
import type { DecoderModel } from '../models/roles/decoder-model.js';
import type { PolicyModel } from '../models/roles/policy-model.js';
import type { StorageDtype } from '../models/save-dtype.js';
import type { Tokenizer } from '../models/tokenizer.js';
import type { TrainerLogger } from './trainer.js';
import type { TrainingData } from './training-data.js';

/** What an algorithm's loss graph provides: a scalar loss and scalar metrics (TRL names). */
export interface LossGraph {
  readonly loss: Tensor;
  readonly metrics?: Readonly<Record<string, Tensor>>;
}

/**
 * One collated micro-batch: the graph feeds, the real tokens in it (tokens/s) and its weight: the loss's normaliser
 * (tokens of a token mean, rows of a row mean), which scales each rank's gradient by its share of the global one.
 */
export interface TrainBatch {
  readonly feeds: Record<string, HostTensor>;
  readonly tokens: number;
  readonly weight: number;
  /** The normaliser of the graph's metrics when it is not the loss's (token-mean metrics of a row-mean loss); default `weight`. */
  readonly metricWeight?: number;
}

export type DataSplit = 'train' | 'eval';

/** What the trainer has loaded before the algorithm's policy: enough to build the trained model. */
export interface PolicyLoadContext {
  readonly config: UnifiedConfig;
  readonly kernel: Kernel;
  readonly tokenizer: Tokenizer;
  readonly logger?: TrainerLogger;
}

/** What the trainer hands an algorithm once the run is loaded: the policy, its data and the backend. */
export interface AlgorithmContext extends PolicyLoadContext {
  readonly policy: PolicyModel;
  readonly data: TrainingData;
  readonly executor: GraphExecutor;
  /** The directory the policy started from (sft_path, else name_or_path), resolved locally. */
  readonly startDir: string;
  /** The checkpoint being resumed, if any. */
  readonly resumeDir?: string;
  /** Where every frozen model (reference, reward model) takes model.precision / model.quantization's storage. */
  readonly frozen: FrozenWeights;
  /** The ranks training together (one process: the `single` group of one). */
  readonly group: ProcessGroup;
}

/**
 * What every algorithm plugin implements, offline (AlgorithmContract) or online (OnlineAlgorithmContract): the
 * record kinds it trains on, its loss graph and metrics, and optionally its own policy loading, setup, constant
 * feeds, extra trained weights, resumable state and files beside the policy. `Context` is what its setup and loss
 * receive. The trainer owns everything else: the loop, stepping, evaluation, checkpoints, metric sinks.
 */
export interface AlgorithmParts<Context extends AlgorithmContext = AlgorithmContext> {
  /** The record kinds the algorithm trains on (completion for SFT, preference for DPO, prompts for online RL). */
  readonly recordKinds: readonly RecordKind[];
  /** Builds the loss on `g` with the trained weights as graph inputs: a scalar loss and scalar metrics (TRL names). */
  buildLoss(g: Graph, context: Context): LossGraph;
  /** The trained model from `dir` (the start or the resumed checkpoint); default: the decoder as it is saved. */
  loadPolicy?(dir: string, context: PolicyLoadContext): Promise<PolicyModel>;
  /** Runs once the policy, tokenizer and data are loaded (a reference model, cached log-probs...). */
  setup?(context: Context): Promise<void>;
  /** Feeds that are the same every run (frozen weights fed as inputs). */
  constantFeeds?(): Record<string, HostTensor>;
  /** Weights trained beside the policy's, by graph name (PPO's value model); called after setup. */
  extraTrainableParams?(): Record<string, HostTensor>;
  /** The algorithm's own reference, which the evaluator then uses for KL and implicit rewards instead of loading one. */
  evaluationReference?(): DecoderModel | undefined;
  /** State a resumed run needs (saved in trainer_state.json), and its restore, which runs after setup. */
  saveState?(): Record<string, unknown> | undefined;
  restoreState?(state: Record<string, unknown>): void;
  /**
   * Writes what the algorithm keeps beside the policy into a checkpoint or final/ being written. `dtype`: the dtype
   * final/'s model weights are written in (train.save_dtype resolved); undefined in a checkpoint, which keeps float32.
   */
  saveExtras?(dir: string, params: Readonly<Record<string, HostTensor>>, dtype?: StorageDtype): Promise<void>;
}

/**
 * The contract an offline algorithm plugin implements (`@Algorithm(id, { options })` on a class that has it): its
 * parts plus how rows of the training table become feeds. See docs/plugins.md, "Adding an algorithm".
 */
export interface AlgorithmContract extends AlgorithmParts {
  /** Collates rows of `data` into the loss graph's feeds. */
  collate(data: TokenizedDataset, rows: readonly number[], split: DataSplit, context: AlgorithmContext): TrainBatch;
}
