// @aligntune/core/training — The training layer: the trainer contract and factory, batch feeds, metric sinks, rewards and evaluation.
// Named exports only: adding a name here is a deliberate change to the public API
// (test/packaging/public-api.test.ts compares it with test/packaging/public-api.names.json).
import 'reflect-metadata';
export { writeDirAtomic } from '../training/atomic-dir.js';
export { float32Tensor, realTokens, tokenFeeds } from '../training/batch-feeds.js';
export { type ComputeRequest, createComputeBackend } from '../training/compute-backend.js';
export { type EvaluationResult, flattenEvaluation, formatTable } from '../training/evaluator/eval-result.js';
export { type EvalTable } from '../training/evaluator/eval-tables.js';
export { passAtK } from '../training/evaluator/pass-at-k.js';
export { lcsLength, rougeScores, rougeTokens } from '../training/evaluator/rouge.js';
export { macroF1Score } from '../training/evaluator/task-metrics.js';
export { UnifiedEvaluator } from '../training/evaluator/unified-evaluator.js';
export { ExtensionPoints } from '../training/extension-points.js';
export {
  type HparamValue,
  type MetricSink,
  type MetricTable,
  type OfflineSyncSink,
  type RunInfo,
  type SinkLogger,
  type TableCell,
  flattenHparams,
} from '../training/metric-sink.js';
export { type MetricRow } from '../training/metrics-log.js';
export { ProgressReporter } from '../training/progress-reporter.js';
export { defineReward } from '../training/rewards/define-reward.js';
export { resolveRewardSpecs } from '../training/rewards/resolve-reward-specs.js';
export { RewardAggregator } from '../training/rewards/reward-aggregator.js';
export { type RewardBatch, type RewardFunction, rewardPoint } from '../training/rewards/reward-function.js';
export { rewardMetrics } from '../training/rewards/reward-metrics.js';
export { RunningStats } from '../training/rewards/running-stats.js';
export { findPython, nodeInterpreter } from '../training/rewards/sandbox-interpreters.js';
export { type SandboxLimits } from '../training/rewards/sandbox-limits.js';
export { type SandboxRequest, detectSandboxIsolation, runSandboxed } from '../training/rewards/sandbox.js';
export {
  type DataSplit,
  type LossGraph,
  type TrainBatch,
  TrainerBase,
  type TrainerLogger,
} from '../training/trainer-base.js';
export { TrainerFactory } from '../training/trainer-factory.js';
export { type TrainResult, type Trainer } from '../training/trainer.js';
export { type TrainingData } from '../training/training-data.js';
