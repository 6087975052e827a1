import type { UnifiedConfig } from '../config/unified-config.js';
import type { RecordKind } from '../data/canonical-record.js';
import type { TokenizedDataset } from '../data/tokenized-dataset.js';
import type { GraphExecutor, HostTensor } from '../engine/graph-executor.js';
import type { Graph } from '../engine/ir/graph.js';
import type { Kernel } from '../kernel/kernel.js';
import type { DecoderModel } from '../models/roles/decoder-model.js';
import type { PolicyModel } from '../models/roles/policy-model.js';
import type { Tokenizer } from '../models/tokenizer.js';
import type { DataSplit, LossGraph, TrainBatch, TrainerLogger } from './trainer-base.js';
import type { TrainingData } from './training-data.js';

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
}

/**
 * The narrow contract an algorithm plugin implements (`@Algorithm(id, { options })` on a class that has it):
 * which records it trains on, its loss graph and metrics, how rows become feeds, and optionally its own setup,
 * resumable state and files beside the policy. The trainer (ContractTrainer) owns everything else: the loop,
 * stepping, evaluation, checkpoints, metric sinks. See docs/plugins.md, "Adding an algorithm".
 */
export interface AlgorithmContract {
  /** The record kinds the algorithm trains on (completion for SFT, preference for DPO). */
  readonly recordKinds: readonly RecordKind[];
  /** Builds the loss on `g` with the trained weights as graph inputs: a scalar loss and scalar metrics (TRL names). */
  buildLoss(g: Graph, context: AlgorithmContext): LossGraph;
  /** Collates rows of `data` into the loss graph's feeds. */
  collate(data: TokenizedDataset, rows: readonly number[], split: DataSplit, context: AlgorithmContext): TrainBatch;
  /** The trained model from `dir` (the start or the resumed checkpoint); default: the decoder as it is saved. */
  loadPolicy?(dir: string, context: PolicyLoadContext): Promise<PolicyModel>;
  /** Runs once the policy, tokenizer and data are loaded (a reference model, cached log-probs...). */
  setup?(context: AlgorithmContext): Promise<void>;
  /** Feeds that are the same every run (frozen weights fed as inputs). */
  constantFeeds?(): Record<string, HostTensor>;
  /** The algorithm's own reference, which the evaluator then uses for KL and implicit rewards instead of loading one. */
  evaluationReference?(): DecoderModel | undefined;
  /** State a resumed run needs (saved in trainer_state.json), and its restore, which runs after setup. */
  saveState?(): Record<string, unknown> | undefined;
  restoreState?(state: Record<string, unknown>): void;
  /** Writes what the algorithm keeps beside the policy into a checkpoint or final/ being written. */
  saveExtras?(dir: string, params: Readonly<Record<string, HostTensor>>): Promise<void>;
}

/** Whether an algorithm contribution is a contract (composed by ContractTrainer) rather than a whole trainer. */
export function isAlgorithmContract(value: object): value is AlgorithmContract {
  return !('train' in value) && typeof (value as Partial<AlgorithmContract>).buildLoss === 'function';
}
