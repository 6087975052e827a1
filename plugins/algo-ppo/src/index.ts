export { PpoAlgorithm } from './ppo-algorithm.js';
export * from './ppo-options.js';
export { ppoLoss, type PpoLossInputs, type PpoLossSettings } from './ppo-loss.js';
export { gae, tokenKl, tokenRewards, whiten } from './advantages.js';
export { scoreRollouts, type AdvantageSettings, type ModelOutputs } from './rollout-batch.js';
export { VALUE_MODEL_DIR, VALUE_PREFIX, REWARD_PREFIX, loadValueModel, loadRewardModel, type CompanionContext } from './companion-models.js';
export { FEED_NAMES, microBatchFeeds } from './micro-batch.js';
export type { ScoredRollout } from './ppo-rollout.js';
