export { LlamaArchitecture } from './llama-architecture.js';
export { inverseFrequencies } from './rotary.js';
