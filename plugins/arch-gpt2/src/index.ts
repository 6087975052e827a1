export { Gpt2Architecture } from './gpt2-architecture.js';
export { GPT2_MODEL_TYPES } from './gpt2-model-types.js';
export type { Gpt2Config } from './gpt2-config.js';
