export { RlooAlgorithm } from './rloo-algorithm.js';
export { RlooOptions } from './rloo-options.js';
export { rlooLoss, type RlooLossInputs } from './rloo-loss.js';
export { leaveOneOutAdvantages, normalizeAdvantages, rlooReturns } from './advantages.js';
