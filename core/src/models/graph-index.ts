// The engine side of models: architectures, graph builders, model roles, generation.
export * from './architecture.js';
export * from './graph/attention.js';
export * from './graph/graph-weights.js';
export * from './graph/causal-lm.js';
export * from './graph/layers.js';
export * from './graph/log-probs.js';
export * from './roles/decoder-model.js';
export * from './roles/load-model.js';
export * from './roles/policy-model.js';
export * from './roles/value-model.js';
export * from './roles/reward-model.js';
export * from './graph/generation-graphs.js';
export * from './rollout/sampler.js';
export * from './rollout/kv-slots.js';
export * from './rollout/prompt-batch.js';
export * from './rollout/rollout-engine.js';
export * from './graph/export-onnx.js';
