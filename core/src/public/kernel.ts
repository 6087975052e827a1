// @aligntune/core/kernel — The kernel: contribution decorators, registries, injection tokens and the logger. Plugins declare and inject with these.
// Named exports only: adding a name here is a deliberate change to the public API
// (test/packaging/public-api.test.ts compares it with test/packaging/public-api.names.json).
import 'reflect-metadata';
// Plugins inject services with these, so they depend on @aligntune/core alone.
export { inject, injectable, multiInject, optional } from 'inversify';
export { DuplicateContributionError } from '../kernel/contribution-registry.js';
export {
  Algorithm,
  Architecture,
  ComputeBackend,
  type ComputeBackendOptions,
  type DatasetLoaderOptions,
  type DatasetNameKind,
  type Constructor,
  type ContributionMetadata,
  type ContributionOptions,
  DatasetLoader,
  DistributedBackend,
  type DistributedBackendOptions,
  type LaunchPlan,
  type LaunchRequest,
  MetricLogger,
  Reward,
  SchemaAdapter,
  Task,
  getContributionMetadata,
} from '../kernel/contribution.js';
export { defaultKernel } from '../kernel/default-kernel.js';
export { type ExtensionKind, type ExtensionPoint, extensionPoint } from '../kernel/extension-point.js';
export { Kernel, UnknownContributionError } from '../kernel/kernel.js';
export { PluginError, readPluginManifest } from '../kernel/plugin-manifest.js';
export { DatasetRegistry, RewardRegistry, TaskRegistry } from '../kernel/registries.js';
export { Tokens } from '../kernel/tokens.js';
export { UnifiedLogger, redactSecrets } from '../kernel/unified-logger.js';
