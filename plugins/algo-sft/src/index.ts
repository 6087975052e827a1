export { SftTrainer, sftLossMask, addPromptAssistantTurns, LOSS_MASK } from './sft-trainer.js';
export { SftOptions } from './sft-options.js';
export { sftLoss, type SftLossGraph } from './sft-loss.js';
