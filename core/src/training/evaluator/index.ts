// Evaluation: per-dataset task metrics of a model on the eval split. See docs/observability.md#evaluation.
export * from './unified-evaluator.js';
export * from './eval-tables.js';
export * from './eval-result.js';
export * from './generated-samples.js';
export * from './sequence-scorer.js';
export * from './task-metrics.js';
export * from './pass-at-k.js';
export * from './rouge.js';
