export { HuggingFaceLoader } from './huggingface-loader.js';
export { resolveAlias } from './dataset-aliases.js';
