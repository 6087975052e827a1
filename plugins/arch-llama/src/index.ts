export { LlamaArchitecture } from './llama-architecture.js';
export { LLAMA_MODEL_TYPES, llamaFamilyTraits, llamaPresetFields } from './llama-model-types.js';
export { readLlamaConfig, type LlamaConfig, type LlamaVariant, type RopeScaling } from './llama-config.js';
export { inverseFrequencies } from './rotary.js';
