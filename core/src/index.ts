// @aligntune/core: the seed's user API (docs/plugins.md#public-api). Layer surfaces live at the subpaths
// @aligntune/core/{util,kernel,config,engine,models,data,training}; test fixtures at @aligntune/core/testing.
import 'reflect-metadata';

// configuration and running a training job (the seed's unified API)
export {
  AlgorithmType,
  CachingConfig,
  ComputeConfig,
  ConfigLoader,
  DatasetConfig,
  DistributedConfig,
  LoggingConfig,
  ModelConfig,
  RewardConfig,
  TaskConfig,
  TrainingConfig,
  UnifiedConfig,
} from './public/config.js';
export { TrainerFactory, type Trainer, type TrainResult } from './public/training.js';
// the kernel, its registries, the contribution decorators, extension points and injection
export {
  Algorithm,
  Architecture,
  ComputeBackend,
  DatasetLoader,
  DatasetRegistry,
  DistributedBackend,
  Kernel,
  MetricLogger,
  Reward,
  RewardRegistry,
  SchemaAdapter,
  Task,
  TaskRegistry,
  Tokens,
  inject,
  injectable,
  multiInject,
  optional,
} from './public/kernel.js';
export { ExtensionPoints } from './public/training.js';
export { DataExtensionPoints } from './public/data.js';

// Compatibility: code written against the single entry point keeps compiling. These are the curated
// layer barrels (named exports only), so the root is their union and grows only when a barrel does.
export * from './public/util.js';
export * from './public/kernel.js';
export * from './public/config.js';
export * from './public/engine.js';
export * from './public/models.js';
export * from './public/data.js';
export * from './public/training.js';
