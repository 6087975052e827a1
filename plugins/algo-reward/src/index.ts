export { RewardAlgorithm } from './reward-algorithm.js';
export { RewardOptions } from './reward-options.js';
export { rewardLoss, type PairRewards, type RewardLossGraph, type RewardLossSettings } from './reward-loss.js';
export { declareMargin, declarePairTokens, MARGIN, PAIR_ROWS, pairRewards } from './pair-rewards.js';
export { marginColumn } from './margin-column.js';
