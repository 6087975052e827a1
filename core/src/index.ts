import 'reflect-metadata';

// util: small shared helpers below every layer
export * from './util/seeded-random.js';
export * from './util/canonical-json.js';
export * from './util/atomic-write.js';

// kernel
export * from './kernel/extension-point.js';
export * from './kernel/contribution.js';
export * from './kernel/contribution-registry.js';
export * from './kernel/kernel.js';
export * from './kernel/default-kernel.js';
export * from './kernel/plugin-manifest.js';
export * from './kernel/plugin-discovery.js';
export * from './kernel/registries.js';
export * from './kernel/suggest.js';
export * from './kernel/tokens.js';
export * from './kernel/unified-logger.js';
// Plugins inject services with these, so they depend on @aligntune/core alone.
export { inject, injectable, optional, multiInject } from 'inversify';
// engine
export * from './engine/index.js';
export * from './engine/process-group.js';
// training
export * from './training/trainer.js';
export * from './training/extension-points.js';
export * from './training/compute-backend.js';
export * from './training/implicit-reward.js';
export * from './training/trainer-base.js';
export * from './training/trainer-state.js';
export * from './training/output-layout.js';
export * from './training/output-dir-error.js';
export * from './training/claim-output-dir.js';
export * from './training/atomic-dir.js';
export * from './training/checkpoint-store.js';
export * from './training/checkpointer.js';
export * from './training/step-executor.js';
export * from './training/evaluation-schedule.js';
export * from './training/metrics-log.js';
export * from './training/metric-sink.js';
export * from './training/metric-sinks.js';
export * from './training/batch-stream.js';
export * from './training/optimizer-config.js';
export * from './training/progress-reporter.js';
export * from './training/signal-guard.js';
export * from './training/training-data.js';
export * from './training/batch-feeds.js';
// config
export * from './config/index.js';
export * from './training/run-context.js';
export * from './training/trainer-factory.js';
export * from './training/online/index.js';
export * from './training/rewards/index.js';
export * from './training/evaluator/index.js';
export * from './data/index.js';
export * from './models/index.js';
export * from './models/graph-index.js';
