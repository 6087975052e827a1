export { GrpoAlgorithm, DapoAlgorithm, DrGrpoAlgorithm, GspoAlgorithm } from './grpo-algorithms.js';
export { GrpoFamilyAlgorithm } from './grpo-family-algorithm.js';
export * from './grpo-options.js';
export { grpoLoss, type GrpoLossGraph, type GrpoLossInputs, type GrpoLossSettings } from './grpo-loss.js';
export { groupAdvantages, tiedGroups } from './advantages.js';
export { sampleGroups, type SampledGroups } from './group-sampler.js';
export { groupMetrics } from './grpo-metrics.js';
export { collateGroup, groupFeeds, GRPO_FEEDS, type CollatedGroup, type GroupRollout } from './micro-batch.js';
