export { LlamaArchitecture } from './llama-architecture.js';
export { LLAMA_MODEL_TYPES, llamaFamilyTraits, llamaPresetFields } from './llama-model-types.js';
export { readLlamaConfig, type LlamaConfig, type LlamaVariant } from './llama-config.js';
