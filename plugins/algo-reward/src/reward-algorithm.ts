import { Algorithm, inject, Tokens } from '@aligntune/core/kernel';
import { trainOptions, type UnifiedConfig } from '@aligntune/core/config';
import { type Graph } from '@aligntune/core/engine';
import { DecoderModel, loadModel, withConfigFields, PolicyModel, RewardModel } from '@aligntune/core/models';
import { collatePairs, type TokenizedDataset } from '@aligntune/core/data';
import {
  float32Tensor,
  realTokens,
  tokenFeeds,
  type AlgorithmContext,
  type AlgorithmContract,
  type DataSplit,
  type LossGraph,
  type PolicyLoadContext,
  type TrainBatch,
} from '@aligntune/core/training';
import { marginColumn } from './margin-column.js';
import { declareMargin, declarePairTokens, MARGIN, pairRewards } from './pair-rewards.js';
import { rewardLoss } from './reward-loss.js';
import { RewardOptions } from './reward-options.js';

/**
 * Reward-model training as TRL's RewardTrainer: a `*ForSequenceClassification` model (backbone + scalar
 * `score` head, read at the last real token) trained whole on preference pairs with the Bradley–Terry loss;
 * chosen and rejected go through the model in one concatenated batch. The saved model is what core's
 * RewardModel.load (PPO's model.reward_path) and transformers' AutoModelForSequenceClassification read.
 */
@Algorithm('reward', { options: RewardOptions, description: 'reward-model training: Bradley-Terry loss on preference pairs (TRL RewardTrainer)' })
export class RewardAlgorithm implements AlgorithmContract {
  readonly recordKinds = ['preference'] as const;
  readonly options: RewardOptions;
  private scorer!: RewardModel;
  /** Each table's margin column; the graph takes margins when any table has one. */
  private readonly margins = new Map<TokenizedDataset, Float32Array | undefined>();
  private withMargin = false;

  constructor(@inject(Tokens.Config) config: UnifiedConfig) {
    this.options = trainOptions<RewardOptions>(config);
  }

  async setup({ policy, data }: AlgorithmContext): Promise<void> {
    this.scorer = new RewardModel(policy.model);
    for (const table of [data.train, data.eval]) if (table) this.margins.set(table, marginColumn(table));
    this.withMargin = [...this.margins.values()].some((m) => m !== undefined);
  }

  /**
   * The trained model is the checkpoint's backbone with a one-output score head: the checkpoint's own (a
   * sequence-classification checkpoint, or the checkpoint being resumed), else a fresh N(0, initializer_range)
   * head seeded by train.seed, as transformers initialises it.
   */
  async loadPolicy(dir: string, { kernel, config, logger, tokenizer }: PolicyLoadContext): Promise<PolicyModel> {
    const model = await loadModel(dir, { kernel, scoreHead: { numLabels: 1, seed: config.train.seed } });
    logger?.info(`score head on ${dir} (a fresh one seeded by train.seed unless the checkpoint has one)`);
    return new PolicyModel(asSequenceClassifier(model, tokenizer.padTokenId));
  }

  buildLoss(g: Graph): LossGraph {
    const rewards = pairRewards(g, this.scorer, declarePairTokens(g));
    return rewardLoss(g, rewards, {
      margin: this.withMargin ? declareMargin(g) : undefined,
      centerRewardsCoefficient: this.options.center_rewards_coefficient,
    });
  }

  collate(data: TokenizedDataset, rows: readonly number[], _split: DataSplit, { tokenizer }: AlgorithmContext): TrainBatch {
    const batch = collatePairs(data, rows, { padTokenId: tokenizer.padTokenId });
    const feeds = tokenFeeds(batch);
    if (this.withMargin) {
      const margins = this.margins.get(data);
      feeds[MARGIN] = float32Tensor(rows.map((r) => margins?.[r] ?? 0), [rows.length]);
    }
    return { feeds, tokens: realTokens(batch), weight: rows.length };
  }
}

/**
 * What transformers needs to load and run the saved model: config.pad_token_id (its *ForSequenceClassification
 * finds each row's last token with it; TRL sets the tokenizer's), and tensor names under the base-model prefix
 * (`transformer.`, `model.`) even when the start checkpoint had none (the original `gpt2` repository):
 * transformers would treat an unprefixed checkpoint as a bare base model and drop its `score.weight`.
 */
function asSequenceClassifier(model: DecoderModel, padTokenId: number): DecoderModel {
  const config = withConfigFields(model.config, { pad_token_id: padTokenId });
  return new DecoderModel({ ...model, config, prefix: undefined });
}
