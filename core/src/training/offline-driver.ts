import type { TokenizedDataset } from '../data/tokenized-dataset.js';
import type { Graph } from '../engine/ir/graph.js';
import type { DecoderModel } from '../models/roles/decoder-model.js';
import type { AlgorithmContext, AlgorithmContract, DataSplit, LossGraph, PolicyLoadContext, TrainBatch } from './algorithm-contract.js';
import type { AlgorithmDriver } from './algorithm-driver.js';
import { loadTrainingData, type TrainingData } from './training-data.js';

/** An offline algorithm (SFT, DPO, reward) in the loop: each micro-batch is rows of the training table, collated by the contract. */
export class OfflineDriver implements AlgorithmDriver {
  readonly evaluatesLoss = true;
  readonly collatesPerRank = false;
  private context!: AlgorithmContext;

  constructor(readonly algorithm: AlgorithmContract) {}

  loadData({ config, kernel, tokenizer, logger }: PolicyLoadContext): Promise<TrainingData> {
    return loadTrainingData(config, { kernel, tokenizer, kinds: this.algorithm.recordKinds, logger });
  }

  async setup(context: AlgorithmContext): Promise<void> {
    this.context = context;
    await this.algorithm.setup?.(context);
  }

  epochRows(): number {
    return this.context.data.train.size;
  }

  async beforeStep(): Promise<undefined> {
    return undefined;
  }

  collate(data: TokenizedDataset, rows: readonly number[], split: DataSplit): TrainBatch {
    return this.algorithm.collate(data, rows, split, this.context);
  }

  buildLoss(g: Graph): LossGraph {
    return this.algorithm.buildLoss(g, this.context);
  }

  evaluationReference(): DecoderModel | undefined {
    return this.algorithm.evaluationReference?.();
  }

  saveState(): Record<string, unknown> | undefined {
    return this.algorithm.saveState?.();
  }

  restoreState(state: Record<string, unknown>): void {
    this.algorithm.restoreState?.(state);
  }
}
