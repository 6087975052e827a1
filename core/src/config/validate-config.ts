import { catalogIssues } from './catalog-checks.js';
import { ConfigValidationError, formatValue, type ConfigIssue } from './config-validation-error.js';
import type { ContributionCatalog } from './contribution-catalog.js';
import { crossFieldIssues } from './cross-field-checks.js';
import { specEntryToPlain, specIssues } from './spec-entry.js';
import { isPlainMapping } from './field-rules.js';
import { applyAlgorithmOptions, applyEntryParams, rewardUseIssues, takePluginKeys } from './plugin-options.js';
import { DEFAULT_MAX_PROMPT_LENGTH } from './training-config.js';
import type { AlgorithmOptionsClass } from './unified-key-use.js';
import { toPlainTree } from './to-plain.js';
import { UnifiedConfig } from './unified-config.js';
import { unsupportedFeatureIssues } from './unsupported-features.js';
import { quantizationIssues } from './quantization-config.js';
import { foldPeftAliases } from './peft-aliases.js';
import { validateSection } from './validate-section.js';

/**
 * Validates a config (plain object, parsed YAML/JSON, or a UnifiedConfig built in code) and returns a new
 * UnifiedConfig with every default applied. All problems are collected and thrown together as one
 * ConfigValidationError. `catalog` (the kernel) enables the plugin checks: ids of rewards, loggers, loaders,
 * adapters, tasks, backends, and algorithm options / reward and task params. `source` names the file in messages.
 */
export function validateConfig(input: unknown, catalog?: ContributionCatalog, source?: string): UnifiedConfig {
  const { config, issues } = inspectConfig(input, catalog, source);
  if (issues.length > 0) throw new ConfigValidationError(issues, source);
  return config;
}

/**
 * validateConfig without throwing: the config with defaults applied as far as it could be built, and every
 * problem found (sorted). Callers that check more (the model and data files) add theirs before reporting.
 */
export function inspectConfig(input: unknown, catalog?: ContributionCatalog, source?: string): { config: UnifiedConfig; issues: ConfigIssue[] } {
  const plain = toPlainTree(input);
  if (!isPlainMapping(plain)) {
    throw new ConfigValidationError([{ path: '', message: `the configuration must be a mapping (got ${formatValue(plain)})` }], source);
  }
  const issues: ConfigIssue[] = [];
  const badSpecs = expandSpecStrings(plain, issues);
  const pluginKeys = takePluginKeys(plain, issues);
  foldPeftAliases(plain, issues);
  const { instance: config, issues: coreIssues } = validateSection(UnifiedConfig, plain, '');
  // a spec string that failed to parse is already reported; its placeholder entry would add "is required"
  issues.push(...coreIssues.filter((i) => !badSpecs.some((p) => i.path.startsWith(`${p}.`))));
  applyAlgorithmOptions(config, pluginKeys, catalog, issues);
  followMaxLength(config, pluginKeys.train);
  applyEntryParams('reward', config.rewards, pluginKeys.rewardParams, catalog, issues);
  applyEntryParams('task', config.tasks, pluginKeys.taskParams, catalog, issues);
  issues.push(...crossFieldIssues(config), ...catalogIssues(config, catalog), ...unsupportedFeatureIssues(config), ...quantizationIssues(config), ...rewardUseIssues(config, catalog));
  fillDerivedDefaults(config);
  issues.push(...algorithmIssues(config, catalog, issues));
  return { config, issues: sortIssues(issues) };
}

/**
 * The algorithm's own cross-field rules (its options class's checkConfig), with everything else, so no
 * problem waits for a second round. A rule skips values that already failed their own check; a path already
 * reported is not reported twice.
 */
function algorithmIssues(config: UnifiedConfig, catalog: ContributionCatalog | undefined, found: readonly ConfigIssue[]): ConfigIssue[] {
  const options = catalog?.metadata('algorithm', String(config.algo))?.options as AlgorithmOptionsClass | undefined;
  if (!config.train || !options?.checkConfig) return [];
  return options.checkConfig(config).filter((issue) => !found.some((f) => f.path === issue.path));
}

/** `datasets:` and `rewards:` entries may be spec strings; they become mappings here. Returns the paths that failed. */
function expandSpecStrings(plain: Record<string, unknown>, issues: ConfigIssue[]): string[] {
  const failed: string[] = [];
  for (const key of ['datasets', 'rewards']) {
    const list = plain[key];
    if (!Array.isArray(list)) continue;
    list.forEach((entry, index) => {
      if (typeof entry !== 'string') return;
      try {
        list[index] = specEntryToPlain(key, entry);
      } catch (error) {
        issues.push(...specIssues(error, `${key}.${index}`));
        failed.push(`${key}.${index}`);
        list[index] = {};
      }
    });
  }
  return failed;
}

/** Defaults that depend on other fields. */
function fillDerivedDefaults(config: UnifiedConfig): void {
  if (config.distributed) config.distributed.seed ??= config.train?.seed;
}

/** An unset max_prompt_length follows a max_length below TRL's default, rather than contradicting it. */
function followMaxLength(config: UnifiedConfig, given: Record<string, unknown> | undefined): void {
  const train = config.train;
  if (!train || given?.max_prompt_length != null || typeof train.max_length !== 'number') return;
  train.max_prompt_length = Math.min(DEFAULT_MAX_PROMPT_LENGTH, train.max_length);
}

/** Issues in document order of the top-level sections, then by path, so related problems sit together. */
export function sortIssues(issues: ConfigIssue[]): ConfigIssue[] {
  const order = ['algo', 'model', 'datasets', 'tasks', 'rewards', 'train', 'distributed', 'compute', 'logging', 'chat_template', 'caching', 'plugins'];
  const rank = (path: string) => {
    const index = order.indexOf(path.split('.')[0]!);
    return index < 0 ? order.length : index;
  };
  return issues
    .map((issue, index) => ({ issue, index }))
    .sort((a, b) => rank(a.issue.path) - rank(b.issue.path) || a.index - b.index)
    .map((entry) => entry.issue);
}
