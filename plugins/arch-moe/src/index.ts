export { MoeArchitecture } from './moe-architecture.js';
export { MOE_MODEL_TYPES } from './moe-model-types.js';
export { readMoeConfig, type MoeConfig, type MoeVariant } from './moe-config.js';
export { MOE_CHECKPOINT_CONFIGS } from './moe-checkpoint-configs.js';
