export { MoeArchitecture } from './moe-architecture.js';
export { MOE_MODEL_TYPES } from './moe-model-types.js';
export { readMoeConfig, type MoeConfig, type MoeVariant } from './moe-config.js';
export { MOE_CHECKPOINT_CONFIGS } from './moe-checkpoint-configs.js';
export { routeTopK, type Routing } from './sparse-moe-block.js';
export { topKMask } from './top-k-mask.js';
export { loadBalancingLoss } from './load-balancing-loss.js';
