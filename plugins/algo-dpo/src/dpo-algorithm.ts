import { Algorithm, inject, Tokens } from '@aligntune/core/kernel';
import { trainOptions, type UnifiedConfig } from '@aligntune/core/config';
import { type Graph, type HostTensor } from '@aligntune/core/engine';
import { REFERENCE_PREFIX, type DecoderModel } from '@aligntune/core/models';
import { collatePairs, resolveModelDir, type TokenizedDataset } from '@aligntune/core/data';
import {
  float32Tensor,
  loadReferenceModel,
  realTokens,
  withAuxiliaryLosses,
  type AlgorithmContext,
  type AlgorithmContract,
  type DataSplit,
  type LossGraph,
  type TrainBatch,
} from '@aligntune/core/training';
import { dpoLoss, type PairLogps } from './dpo-loss.js';
import { DpoOptions } from './dpo-options.js';
import { declarePairInputs, pairLengths, pairLogps, REF_CHOSEN, REF_REJECTED, referencePairLogps } from './pair-graph.js';
import { pairFeeds, precomputeReferenceLogps, type PairTable } from './reference-log-probs.js';

/**
 * Direct Preference Optimization as TRL's DPOTrainer: chosen and rejected go through the policy in one
 * concatenated batch; the reference is a frozen copy of the starting policy (or model.ref_path), run in the
 * same graph or precomputed once.
 */
@Algorithm('dpo', { options: DpoOptions, description: 'direct preference optimization (TRL DPOTrainer: sigmoid, hinge, ipo, robust)' })
export class DpoAlgorithm implements AlgorithmContract {
  readonly recordKinds = ['preference'] as const;
  readonly options: DpoOptions;
  private reference!: DecoderModel;
  private referenceFeeds: Record<string, HostTensor> = {};
  private precomputed?: Map<TokenizedDataset, PairTable>;

  constructor(@inject(Tokens.Config) config: UnifiedConfig) {
    this.options = trainOptions<DpoOptions>(config);
  }

  async setup(context: AlgorithmContext): Promise<void> {
    const { config, data, executor, tokenizer, logger } = context;
    const refDir = await referenceDir(context);
    this.reference = await loadReferenceModel({ ...context, refDir });
    const feeds = this.reference.namedWeights(REFERENCE_PREFIX);
    if (!this.options.precompute_ref_log_probs) return void (this.referenceFeeds = feeds);
    this.precomputed = new Map();
    const caching = config.caching;
    for (const table of [data.train, data.eval]) {
      if (!table) continue;
      const { logps, hit } = await precomputeReferenceLogps(table, {
        executor,
        reference: this.reference,
        referenceDir: refDir,
        referenceStorage: context.frozen.storageOf(this.reference),
        padTokenId: tokenizer.padTokenId,
        batchSize: config.train.per_device_batch_size,
        cacheRoot: caching.enabled ? caching.root : undefined,
        feeds,
      });
      this.precomputed.set(table, logps);
      logger?.info(`reference log-probs of ${table.size} pairs ${hit ? 'read from the cache' : 'computed'}`);
    }
  }

  evaluationReference(): DecoderModel {
    return this.reference;
  }

  constantFeeds(): Record<string, HostTensor> {
    return this.referenceFeeds;
  }

  buildLoss(g: Graph, { policy }: AlgorithmContext): LossGraph {
    const inputs = declarePairInputs(g);
    const { logits, auxiliaryLosses } = policy.forward(g, inputs.tokens);
    const reference: PairLogps = this.precomputed
      ? { chosen: g.input(REF_CHOSEN, 'float32', ['pairs']), rejected: g.input(REF_REJECTED, 'float32', ['pairs']) }
      : referencePairLogps(g, this.reference, inputs);
    const lengths = this.options.loss_type === 'ipo' ? pairLengths(g, inputs) : undefined;
    const loss = dpoLoss(g, { policy: pairLogps(g, logits, inputs), reference, lengths }, {
      beta: this.options.beta,
      lossType: this.options.loss_type,
      labelSmoothing: this.options.label_smoothing,
    });
    // TRL: loss += aux_loss_coef · aux_loss over the concatenated chosen + rejected batch
    return withAuxiliaryLosses(g, loss, auxiliaryLosses);
  }

  collate(data: TokenizedDataset, rows: readonly number[], _split: DataSplit, { tokenizer }: AlgorithmContext): TrainBatch {
    const batch = collatePairs(data, rows, { padTokenId: tokenizer.padTokenId });
    const feeds = pairFeeds(batch);
    const table = this.precomputed?.get(data);
    if (this.precomputed) {
      if (!table) throw new Error('no precomputed reference log-probs for this table');
      feeds[REF_CHOSEN] = float32Tensor(rows.map((r) => table.chosen[r]!), [rows.length]);
      feeds[REF_REJECTED] = float32Tensor(rows.map((r) => table.rejected[r]!), [rows.length]);
    }
    return { feeds, tokens: realTokens(batch), weight: rows.length };
  }
}

/**
 * ref_path, else the starting policy (sft_path, else name_or_path). The starting policy's weights are then
 * shared (the policy's updates never write into them) unless resuming.
 */
async function referenceDir({ config, startDir, logger }: AlgorithmContext): Promise<string> {
  const ref = config.model.ref_path;
  return ref ? resolveModelDir(ref, { logger }) : startDir;
}
