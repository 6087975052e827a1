export { SftAlgorithm, sftLossMask, addPromptAssistantTurns, LOSS_MASK } from './sft-algorithm.js';
export { SftOptions } from './sft-options.js';
export { sftLoss, type SftLossGraph } from './sft-loss.js';
