export { GemmaArchitecture } from './gemma-architecture.js';
export { GEMMA_MODEL_TYPES } from './gemma-model-types.js';
export { readGemmaConfig, type GemmaConfig } from './gemma-config.js';
