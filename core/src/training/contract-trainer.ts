import type { UnifiedConfig } from '../config/unified-config.js';
import type { RecordKind } from '../data/canonical-record.js';
import type { TokenizedDataset } from '../data/tokenized-dataset.js';
import type { HostTensor } from '../engine/graph-executor.js';
import type { Graph } from '../engine/ir/graph.js';
import type { Kernel } from '../kernel/kernel.js';
import type { DecoderModel } from '../models/roles/decoder-model.js';
import type { PolicyModel } from '../models/roles/policy-model.js';
import type { AlgorithmContext, AlgorithmContract } from './algorithm-contract.js';
import { TrainerBase, type DataSplit, type LossGraph, type TrainBatch, type TrainerLogger } from './trainer-base.js';

/** The shared trainer composed with an algorithm's contract: each hook the loop calls asks the contract. */
export class ContractTrainer extends TrainerBase {
  protected readonly recordKinds: readonly RecordKind[];
  private context!: AlgorithmContext;

  constructor(
    config: UnifiedConfig,
    kernel: Kernel,
    readonly algorithm: AlgorithmContract,
    logger?: TrainerLogger,
  ) {
    super(config, kernel, logger);
    this.recordKinds = algorithm.recordKinds;
  }

  protected override async setup(): Promise<void> {
    const { config, kernel, logger, tokenizer, policy, data, executor, startDir, resumeDir } = this;
    this.context = { config, kernel, logger, tokenizer, policy, data, executor, startDir, resumeDir };
    await this.algorithm.setup?.(this.context);
  }

  protected override loadPolicy(dir: string): Promise<PolicyModel> {
    if (!this.algorithm.loadPolicy) return super.loadPolicy(dir);
    return this.algorithm.loadPolicy(dir, { config: this.config, kernel: this.kernel, tokenizer: this.tokenizer, logger: this.logger });
  }

  protected buildLoss(g: Graph): LossGraph {
    return this.algorithm.buildLoss(g, this.context);
  }

  protected collate(data: TokenizedDataset, rows: readonly number[], split: DataSplit): TrainBatch {
    return this.algorithm.collate(data, rows, split, this.context);
  }

  protected override constantFeeds(): Record<string, HostTensor> {
    return this.algorithm.constantFeeds?.() ?? {};
  }

  protected override evaluationReference(): DecoderModel | undefined {
    return this.algorithm.evaluationReference?.();
  }

  protected override algorithmState(): Record<string, unknown> | undefined {
    return this.algorithm.saveState?.();
  }

  protected override restoreAlgorithmState(state: Record<string, unknown>): void {
    this.algorithm.restoreState?.(state);
  }

  protected override async saveExtras(dir: string, params: Readonly<Record<string, HostTensor>>): Promise<void> {
    await this.algorithm.saveExtras?.(dir, params);
  }
}
