// Models layer, engine-independent part: checkpoint files, Hugging Face configs, weight layouts,
// initialisation and tokenizers.
export * from './safetensors-dtype.js';
export * from './half-float.js';
export * from './safetensors.js';
export * from './checkpoint.js';
export * from './json-fields.js';
export * from './model-type.js';
export * from './hf-model-config.js';
export * from './generation-config.js';
export * from './tensor-layout.js';
export * from './canonical-weights.js';
export * from './seeded-random.js';
export * from './init-weights.js';
export * from './model-presets.js';
export * from './model-dir.js';
export * from './init-model-dir.js';
export * from './canonical-json.js';
export * from './special-tokens.js';
export * from './chat-template.js';
export * from './tokenizer.js';
export * from './assistant-mask.js';
export * from './fixtures/gpt2-tokenizer.js';
export * from './fixtures/tiny-chat-tokenizer.js';
export * from './fixtures/train-bpe.js';
export { writeFileAtomic, writeDataAtomic, writeJsonAtomic } from './atomic-write.js';
