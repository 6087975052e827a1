export { SmolLM3Architecture } from './smollm3-architecture.js';
export { SMOLLM3_MODEL_TYPES } from './smollm3-model-types.js';
export { readSmolLM3Config, type SmolLM3Config } from './smollm3-config.js';
