// Rewards: the contract, authoring helpers, aggregation and the code sandbox. See docs/rewards.md.
export * from './reward-function.js';
export * from './define-reward.js';
export * from './running-stats.js';
export * from './reward-aggregator.js';
export * from './reward-metrics.js';
export * from './resolve-reward-specs.js';
export * from './sandbox-limits.js';
export { type SandboxIsolation } from './sandbox-isolation.js';
export * from './sandbox.js';
export * from './sandbox-interpreters.js';
