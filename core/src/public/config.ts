// @aligntune/core/config — The config layer: the config classes, loading and validation, and the rule decorators for plugin options classes.
// Named exports only: adding a name here is a deliberate change to the public API
// (test/packaging/public-api.test.ts compares it with test/packaging/public-api.names.json).
import 'reflect-metadata';
export { ALGORITHM_TYPES, AlgorithmType } from '../config/algorithm-type.js';
export { CachingConfig } from '../config/caching-config.js';
export { ComputeConfig } from '../config/compute-config.js';
export { describeFields } from '../config/config-fields.js';
export { ConfigLoader, trainOptions } from '../config/config-loader.js';
export { renderConfigReference } from '../config/config-reference.js';
export { type ConfigIssue, ConfigValidationError } from '../config/config-validation-error.js';
export { type ContributionCatalog } from '../config/contribution-catalog.js';
export { DatasetConfig, datasetRowLimit } from '../config/dataset-config.js';
export { parseDatasetSpec } from '../config/dataset-spec.js';
export { DistributedConfig } from '../config/distributed-config.js';
export {
  Bool,
  Describe,
  Mapping,
  NonEmptyStr,
  NonNegativeInt,
  NonNegativeNumber,
  Num,
  NumberRange,
  OneOf,
  Optional,
  PositiveInt,
  PositiveNumber,
  Str,
  StrList,
} from '../config/field-rules.js';
export { generateJsonSchema } from '../config/json-schema.js';
export { LoggingConfig } from '../config/logging-config.js';
export { ModelConfig } from '../config/model-config.js';
export { parseQuantization, type QuantFormat, type QuantizationSpec } from '../config/quantization-config.js';
export { applyOverrides } from '../config/overrides.js';
export { resolveDatasetLoader } from '../config/resolve-dataset-loader.js';
export { RewardConfig } from '../config/reward-config.js';
export { parseRewardSpec } from '../config/reward-spec.js';
export { TaskConfig } from '../config/task-config.js';
export { TrainingConfig } from '../config/training-config.js';
export { parseTypedValue } from '../config/typed-value.js';
export { UnifiedConfig } from '../config/unified-config.js';
export { type UnifiedKeyUse, validCounts } from '../config/unified-key-use.js';
export { validateConfig } from '../config/validate-config.js';
export { JSON_SCHEMA_PATH, renderJsonSchema, writeJsonSchema } from '../config/write-json-schema.js';
