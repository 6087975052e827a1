import { ALGORITHM_TYPES, AlgorithmType } from './algorithm-type.js';
import { CachingConfig } from './caching-config.js';
import { ComputeConfig } from './compute-config.js';
import { DatasetConfig } from './dataset-config.js';
import { DistributedConfig } from './distributed-config.js';
import { Examples, Describe, Nested, NonEmptyStr, Optional, Required, StrList } from './field-rules.js';
import { LoggingConfig } from './logging-config.js';
import { ModelConfig } from './model-config.js';
import { RewardConfig } from './reward-config.js';
import { TaskConfig } from './task-config.js';
import { TrainingConfig } from './training-config.js';

/**
 * The whole run configuration (the spec's UnifiedConfig). `algo`, `model.name_or_path`, at least one
 * dataset and one of `train.max_steps` / `train.epochs` are required; everything else has a default.
 * Build one with `ConfigLoader.load` / `ConfigLoader.validateConfig`, which apply defaults and validate.
 */
export class UnifiedConfig {
  @Describe('Algorithm: ppo, dpo, grpo, gspo, dapo, drgrpo, sft, reward, or an id a plugin provides (required).')
  @Examples(ALGORITHM_TYPES)
  @NonEmptyStr()
  algo!: AlgorithmType | (string & {});

  @Describe('Policy model and companion models (required).')
  @Required()
  @Nested(() => ModelConfig)
  model!: ModelConfig;

  @Describe('Training datasets (at least one). Entries may also be dataset spec strings.')
  @Required()
  @Nested(() => DatasetConfig, { each: true, minSize: 1 })
  datasets!: DatasetConfig[];

  @Describe('Tasks for multi-task training. Default [].')
  @Nested(() => TaskConfig, { each: true })
  tasks: TaskConfig[] = [];

  @Describe('Reward functions. Entries may also be reward spec strings. Default [].')
  @Nested(() => RewardConfig, { each: true })
  rewards: RewardConfig[] = [];

  @Describe('Training settings plus the algorithm plugin\'s options (one of max_steps/epochs is required).')
  @Required()
  @Nested(() => TrainingConfig)
  train!: TrainingConfig;

  @Describe('Distributed training. Default: single process.')
  @Nested(() => DistributedConfig)
  distributed: DistributedConfig = new DistributedConfig();

  @Describe('Compute backend and device. Default: the best available backend of the host CPU.')
  @Nested(() => ComputeConfig)
  compute: ComputeConfig = new ComputeConfig();

  @Describe('Metric loggers and output directory.')
  @Nested(() => LoggingConfig)
  logging: LoggingConfig = new LoggingConfig();

  @Describe('Chat template (Jinja) or template name for all datasets. Default: the tokenizer\'s own.')
  @Optional()
  @NonEmptyStr()
  chat_template?: string;

  @Describe('Processed-dataset cache.')
  @Nested(() => CachingConfig)
  caching: CachingConfig = new CachingConfig();

  @Describe('Extra plugin packages or paths to load for this run. Default [].')
  @StrList()
  plugins: string[] = [];
}
