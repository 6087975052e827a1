// @aligntune/core/training — The training layer: the trainer contract and factory, batch feeds, metric sinks, rewards and evaluation.
// Named exports only: adding a name here is a deliberate change to the public API
// (test/packaging/public-api.test.ts compares it with test/packaging/public-api.names.json).
import 'reflect-metadata';
export { writeDirAtomic } from '../training/atomic-dir.js';
export { withAuxiliaryLosses } from '../training/auxiliary-losses.js';
export { float32Tensor, realTokens, tokenFeeds } from '../training/batch-feeds.js';
export { type ComputeRequest, createComputeBackend } from '../training/compute-backend.js';
export { type EvaluationResult, flattenEvaluation, formatTable } from '../training/evaluator/eval-result.js';
export { type EvalTable } from '../training/evaluator/eval-tables.js';
export { passAtK } from '../training/evaluator/pass-at-k.js';
export { lcsLength, rougeScores, rougeTokens } from '../training/evaluator/rouge.js';
export { macroF1Score } from '../training/evaluator/task-metrics.js';
export { UnifiedEvaluator } from '../training/evaluator/unified-evaluator.js';
export {
  type AlgorithmContext,
  type AlgorithmContract,
  type AlgorithmParts,
  type DataSplit,
  type LossGraph,
  type PolicyLoadContext,
  type TrainBatch,
} from '../training/algorithm-contract.js';
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
export { ContractTrainer } from '../training/contract-trainer.js';
export { TrainerFactory } from '../training/trainer-factory.js';
export { type TrainResult, type Trainer, type TrainerLogger } from '../training/trainer.js';
export { type TrainingData } from '../training/training-data.js';
export { Checkpointer } from '../training/checkpointer.js';
export { EvaluationSchedule } from '../training/evaluation-schedule.js';
export { OnPolicyOptions } from '../training/online/on-policy-options.js';
export { type OnPolicyRollout } from '../training/online/on-policy-metrics.js';
export { OnPolicySchedule } from '../training/online/on-policy-schedule.js';
export { type OnlineAlgorithmContract, type OnlineBatch, type OnlineContext, type OnlineSettings } from '../training/online/online-algorithm.js';
export { OnlineRollouts } from '../training/online/online-rollouts.js';
export { RankShare } from '../training/online/rank-share.js';
export { OutputLayout } from '../training/output-layout.js';
export { type Rollout } from '../training/online/rollout.js';
export { RolloutScorer } from '../training/online/rollout-scorer.js';
export { StepExecutor } from '../training/step-executor.js';
export { describeEstimate, estimateStepMemory, type StepMemoryEstimate, type StepMemoryInputs } from '../training/memory-estimate.js';
export { TRAINER_STATE_VERSION } from '../training/trainer-state.js';
export { type TrainerState } from '../training/trainer-state.js';
export { checkVocabulary } from '../training/online/reference-model.js';
export { collateRollouts } from '../training/online/rollout-batch.js';
export { completionGrid } from '../training/online/rollout-batch.js';
export { completionLengthMetrics } from '../training/online/rollout-metrics.js';
export { completionsTable } from '../training/online/rollout-metrics.js';
export { cutAfterEos } from '../training/online/rollout.js';
export { maskedMean } from '../training/online/masked-mean.js';
export { meanStd } from '../training/online/rollout-metrics.js';
export { onPolicyCompletionsTable } from '../training/online/on-policy-metrics.js';
export { onPolicyMetrics } from '../training/online/on-policy-metrics.js';
export { rewardColumns } from '../training/online/replay-rollouts.js';
export { rewardNames } from '../training/rewards/reward-aggregator.js';
export { scoreColumn } from '../training/online/replay-rollouts.js';
export { sequenceScore } from '../training/online/on-policy-metrics.js';
export { loadReferenceModel } from '../training/online/reference-model.js';
export { rewardFunctionMetrics } from '../training/online/rollout-metrics.js';
