// Config layer: classes, loading, validation, spec grammars, JSON Schema. See docs/configuration.md.
export * from './algorithm-type.js';
export * from './unified-config.js';
export * from './model-config.js';
export * from './dataset-config.js';
export * from './training-config.js';
export * from './reward-config.js';
export * from './task-config.js';
export * from './distributed-config.js';
export * from './logging-config.js';
export * from './caching-config.js';
export * from './compute-config.js';
export * from './config-validation-error.js';
export * from './contribution-catalog.js';
export { ConfigLoader, trainOptions, type LoadOptions } from './config-loader.js';
export { inspectConfig, validateConfig } from './validate-config.js';
export { configNotes } from './plugin-options.js';
export { validCounts, type AlgorithmOptionsClass, type UnifiedKeyUse } from './unified-key-use.js';
export { applyOverrides } from './overrides.js';
export { parseDatasetSpec } from './dataset-spec.js';
export { parseRewardSpec } from './reward-spec.js';
export { resolveDatasetLoader } from './resolve-dataset-loader.js';
export { generateJsonSchema, type JsonSchema } from './json-schema.js';
export { renderConfigReference, type DocumentedContribution } from './config-reference.js';
export { JSON_SCHEMA_PATH, renderJsonSchema, writeJsonSchema } from './write-json-schema.js';
export { describeFields, fieldNames, type FieldInfo, type FieldKind } from './config-fields.js';
export { parseTypedValue, coerceScalar, type ParsedValue } from './typed-value.js';
// Rule decorators, for plugin options/params classes that want the same messages and schema output.
export {
  Bool,
  Describe,
  Examples,
  Mapping,
  Nested,
  NonEmptyStr,
  NonNegativeInt,
  NonNegativeNumber,
  Num,
  NumberRange,
  OneOf,
  Optional,
  PositiveInt,
  PositiveNumber,
  Required,
  Str,
  StrList,
  StrRecord,
} from './field-rules.js';
