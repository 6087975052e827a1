import { stringify as stringifyYaml } from 'yaml';
import { readConfigFile } from './config-file.js';
import { ConfigValidationError, formatValue } from './config-validation-error.js';
import type { ContributionCatalog } from './contribution-catalog.js';
import { isPlainMapping } from './field-rules.js';
import { applyOverrides } from './overrides.js';
import { toPlainTree } from './to-plain.js';
import type { TrainingConfig } from './training-config.js';
import type { UnifiedConfig } from './unified-config.js';
import { validateConfig } from './validate-config.js';

export interface LoadOptions {
  /** `--set path=value` overrides, applied in order before validation. */
  overrides?: readonly string[];
  /** the kernel's catalog of installed plugins; without it plugin-provided ids and options are not checked. */
  catalog?: ContributionCatalog;
}

/** Loads, overrides and validates configurations (the spec's ConfigLoader). */
export class ConfigLoader {
  /**
   * From a file path (YAML or JSON, by extension) or an object (plain or a UnifiedConfig), applies
   * overrides, validates, and returns a UnifiedConfig with defaults applied. Throws ConfigValidationError
   * listing every problem; errors name the file when there is one.
   */
  static load(source: string | object, options: LoadOptions = {}): UnifiedConfig {
    const file = typeof source === 'string' ? source : undefined;
    const plain = toPlainTree(file ? readConfigFile(file) : source);
    if (!isPlainMapping(plain)) {
      throw new ConfigValidationError([{ path: '', message: `the configuration must be a mapping (got ${formatValue(plain)})` }], file);
    }
    const overrideIssues = applyOverrides(plain, options.overrides ?? [], options.catalog);
    if (overrideIssues.length > 0) throw new ConfigValidationError(overrideIssues, file);
    return validateConfig(plain, options.catalog, file);
  }

  /** Reads a YAML/JSON file into a plain object without validating it. */
  static readFile(file: string): Record<string, unknown> {
    const plain = readConfigFile(file);
    if (!isPlainMapping(plain)) {
      throw new ConfigValidationError([{ path: '', message: `the configuration must be a mapping (got ${formatValue(plain)})` }], file);
    }
    return plain;
  }

  /** Applies `--set` overrides to a plain config in place; throws ConfigValidationError listing the bad ones. */
  static applyOverrides(plain: Record<string, unknown>, overrides: readonly string[], catalog?: ContributionCatalog): void {
    const issues = applyOverrides(plain, overrides, catalog);
    if (issues.length > 0) throw new ConfigValidationError(issues);
  }

  /** Validates a config (see validateConfig); returns a new UnifiedConfig with defaults applied. */
  static validateConfig(config: unknown, catalog?: ContributionCatalog, source?: string): UnifiedConfig {
    return validateConfig(config, catalog, source);
  }

  /** The config as plain data (what `aligntune validate --print` shows); unset optional fields are omitted. */
  static toPlain(config: UnifiedConfig): Record<string, unknown> {
    return toPlainTree(config) as Record<string, unknown>;
  }

  static stringify(config: UnifiedConfig, format: 'yaml' | 'json' = 'yaml'): string {
    const plain = ConfigLoader.toPlain(config);
    return format === 'json' ? `${JSON.stringify(plain, null, 2)}\n` : stringifyYaml(plain);
  }
}

/**
 * `config.train` typed with the algorithm's options class: after validation with a catalog, the options
 * (with their defaults) are set on the train object next to TrainingConfig's keys, as TRL's DPOConfig
 * extends TrainingArguments. E.g. `trainOptions<DpoOptions>(config).beta`.
 */
export function trainOptions<T extends object>(config: UnifiedConfig): TrainingConfig & T {
  return config.train as TrainingConfig & T;
}
