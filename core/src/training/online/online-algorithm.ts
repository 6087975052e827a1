import type { RunValue } from '../../engine/graph-executor.js';
import type { DecoderModel } from '../../models/roles/decoder-model.js';
import type { ResolvedSampling, SamplingField, SamplingKnobs } from '../../models/rollout/sampling-defaults.js';
import type { AlgorithmContext, AlgorithmParts, TrainBatch } from '../algorithm-contract.js';
import type { MetricTable } from '../metric-sink.js';
import type { MetricRow } from '../metrics-log.js';
import type { RewardEntry } from '../rewards/reward-aggregator.js';
import type { OnlineRolloutOptions } from './online-rollouts.js';
import type { RankShare } from './rank-share.js';
import type { ReplayScores } from './replay-rollouts.js';
import type { Rollout } from './rollout.js';

/** What one generation (rollout) batch trains: its micro-batches in order, its host metrics, its completions table. */
export interface OnlineBatch {
  readonly microBatches: readonly TrainBatch[];
  readonly metrics: MetricRow;
  readonly table: () => MetricTable;
}

/** How an online algorithm samples, replays and logs; read once, when the trainer is made. */
export interface OnlineSettings {
  readonly sampling: Omit<OnlineRolloutOptions, 'eosTokenId' | 'shuffle' | 'seed' | SamplingField> & {
    /**
     * The algorithm's sampling options as the user set them (undefined = not set) and its defaults; each unset one
     * takes the model's generation_config.json value first (resolveSampling). The run's values are OnlineContext.sampling.
     */
    readonly knobs: SamplingKnobs;
  };
  /** Prompts per generation batch (each sampled sampling.samplesPerPrompt times). */
  readonly promptsPerBatch: number;
  /** How a `train.rollouts_from` row gives its scores, and the config key naming the group size (G, k). */
  readonly replayScores: ReplayScores;
  readonly groupKey?: string;
  /** The reward functions (with the algorithm's weights); none: no reward function is called. */
  readonly rewards: readonly RewardEntry[];
  /** Load the KL reference (model.ref_path, else the starting policy). */
  readonly reference: boolean;
  /** Write the completions table every N steps; 0 = never. */
  readonly logCompletionsSteps: number;
}

/** What the online layer hands an online algorithm: the run, the reference it asked for, and whether rollouts are replayed. */
export interface OnlineContext extends AlgorithmContext {
  readonly reference?: DecoderModel;
  /** Rollouts come from train.rollouts_from, not from the current policy (no sampler, no reward functions). */
  readonly replaying: boolean;
  /** The run's temperature (and top_k / top_p where the algorithm has them): the loss's log-probs must use the sampler's temperature. */
  readonly sampling: ResolvedSampling;
  /**
   * Several ranks: learnFrom receives the whole generation batch on every rank (so statistics and metrics are one
   * process's); it trains this rank's part of each micro-batch (share.microBatches) and scores through
   * RolloutScorer.scoreCompletions with `share`. One rank: a share of everything.
   */
  readonly share: RankShare;
}

/**
 * The contract an online-RL algorithm plugin implements (GRPO family, PPO, RLOO): its parts plus its sampling
 * settings and how a generation batch's rollouts become micro-batches (advantages, old log-probs). Core's online
 * layer (OnlineDriver) does the rest: prompt stream and its checkpointed cursor, sampling or replay, reward
 * scoring, the reference model, completions tables. See docs/plugins.md, "Adding an algorithm".
 */
export interface OnlineAlgorithmContract extends AlgorithmParts<OnlineContext> {
  onlineSettings(): OnlineSettings;
  /**
   * Turns a generation batch's rollouts (samplesPerPrompt consecutive per prompt) into this rank's micro-batches, with
   * the current weights: resident in the backend on a backend that keeps them (valid until the next step), else host
   * tensors. The rollouts are the global batch (every rank's); see OnlineContext.share.
   */
  learnFrom(rollouts: Rollout[], params: Readonly<Record<string, RunValue>>, context: OnlineContext): Promise<OnlineBatch>;
  /** Sampling of its own on top of `draw` (DAPO's dynamic sampling); default: `draw(prompts)`. Not called when replaying. */
  sample?(draw: (prompts: number) => Promise<Rollout[]>, prompts: number): Promise<Rollout[]>;
  /** Completions of one epoch, taken per_device_batch_size per micro-batch; default: one per training row. */
  epochRows?(context: OnlineContext): number;
}

/** Whether an algorithm contribution is an online contract rather than an offline one. */
export function isOnlineAlgorithm(value: object): value is OnlineAlgorithmContract {
  return typeof (value as Partial<OnlineAlgorithmContract>).learnFrom === 'function';
}
