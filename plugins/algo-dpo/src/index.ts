export { DpoAlgorithm } from './dpo-algorithm.js';
export { DpoOptions, DPO_LOSS_TYPES, type DpoLossType } from './dpo-options.js';
export { dpoLoss, type DpoLossGraph, type DpoLossInputs, type DpoLossSettings, type PairLogps } from './dpo-loss.js';
export * from './pair-graph.js';
export { precomputeReferenceLogps, pairFeeds, type PairTable } from './reference-log-probs.js';
