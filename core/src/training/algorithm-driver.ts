import type { TokenizedDataset } from '../data/tokenized-dataset.js';
import type { RunValue } from '../engine/graph-executor.js';
import type { Graph } from '../engine/ir/graph.js';
import type { DecoderModel } from '../models/roles/decoder-model.js';
import type { AlgorithmContext, AlgorithmParts, DataSplit, LossGraph, PolicyLoadContext, TrainBatch } from './algorithm-contract.js';
import type { MetricSinks } from './metric-sinks.js';
import type { MetricRow } from './metrics-log.js';
import type { TrainingData } from './training-data.js';

/**
 * What the trainer's loop asks of an algorithm, whatever its kind: OfflineDriver answers from an AlgorithmContract
 * and the training table's rows, OnlineDriver (training/online/) from an OnlineAlgorithmContract and rollouts.
 */
export interface AlgorithmDriver {
  /** The plugin's contract: the trainer calls its policy loading, constant feeds, extra weights and extras directly. */
  readonly algorithm: AlgorithmParts;
  /** Whether the loss graph also scores the eval rows (eval/loss); online algorithms have no loss without rollouts. */
  readonly evaluatesLoss: boolean;
  /** Several ranks: true when collate() already gives this rank's share (online rollouts); else the trainer hands each rank its rows of the global batch. */
  readonly collatesPerRank: boolean;
  /** The train/eval tables, once the tokenizer is loaded. */
  loadData(context: PolicyLoadContext): Promise<TrainingData>;
  /** The algorithm's setup once the policy, tokenizer and data are loaded. */
  setup(context: AlgorithmContext): Promise<void>;
  /** Rows of one epoch, taken per_device_batch_size at a time (the logged epoch and the step count from `epochs` follow it). */
  epochRows(): number;
  /** Runs before each optimizer step's micro-batches, with the current weights (resident ones as they are); its metrics join the step's values. */
  beforeStep(params: Readonly<Record<string, RunValue>>, step: number, sinks: MetricSinks): Promise<MetricRow | undefined>;
  /** The feeds of a micro-batch of `rows` of `data`. */
  collate(data: TokenizedDataset, rows: readonly number[], split: DataSplit): TrainBatch;
  buildLoss(g: Graph): LossGraph;
  /** The reference the evaluator measures KL and implicit rewards against, if the algorithm has one. */
  evaluationReference(): DecoderModel | undefined;
  /** What a resumed run needs (trainer_state.json's `algorithm`), and its restore after setup. */
  saveState(): Record<string, unknown> | undefined;
  restoreState(state: Record<string, unknown>): void;
}
