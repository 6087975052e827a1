import { describeFields, fieldNames } from './config-fields.js';
import { formatValue, joinPath, type ConfigIssue } from './config-validation-error.js';
import type { Constructor } from '../kernel/contribution.js';
import type { ContributionCatalog } from './contribution-catalog.js';
import { didYouMean } from '../kernel/suggest.js';
import { suggestKey } from './key-suggestions.js';
import { isPlainMapping } from './field-rules.js';
import { REWARD_KEYS, type RewardConfig } from './reward-config.js';
import { TASK_KEYS, type TaskConfig } from './task-config.js';
import { ALGORITHM_TRAINING_KEYS, TrainingConfig } from './training-config.js';
import type { UnifiedConfig } from './unified-config.js';
import { keyUseOf } from './unified-key-use.js';
import { validateSection } from './validate-section.js';

/**
 * Keys that belong to plugins rather than to core classes: algorithm options under `train:` and the extra
 * keys of reward and task entries. They are taken out of the plain config before the core classes are
 * checked, and validated against the plugin's class afterwards.
 */
export interface PluginKeys {
  /** the raw `train:` mapping (algorithm options may redefine TrainingConfig keys' defaults) */
  train?: Record<string, unknown>;
  /** `train:` keys TrainingConfig does not define */
  trainExtras: Record<string, unknown>;
  rewardParams: Record<string, unknown>[];
  taskParams: Record<string, unknown>[];
}

export function takePluginKeys(plain: Record<string, unknown>, issues: ConfigIssue[]): PluginKeys {
  const keys: PluginKeys = { trainExtras: {}, rewardParams: [], taskParams: [] };
  if (isPlainMapping(plain.train)) {
    keys.train = { ...plain.train };
    keys.trainExtras = takeKeys(plain.train, (k) => !describeFields(TrainingConfig).has(k));
  }
  keys.rewardParams = takeEntryParams(plain.rewards, REWARD_KEYS, 'rewards', issues);
  keys.taskParams = takeEntryParams(plain.tasks, TASK_KEYS, 'tasks', issues);
  return keys;
}

function takeKeys(from: Record<string, unknown>, predicate: (key: string) => boolean): Record<string, unknown> {
  const taken: Record<string, unknown> = {};
  for (const key of Object.keys(from).filter(predicate)) {
    taken[key] = from[key];
    delete from[key];
  }
  return taken;
}

/** Extra keys of each entry plus an explicit `params:` mapping, merged (flat keys are the usual form). */
function takeEntryParams(list: unknown, coreKeys: readonly string[], section: string, issues: ConfigIssue[]): Record<string, unknown>[] {
  if (!Array.isArray(list)) return [];
  return list.map((entry, index) => {
    if (!isPlainMapping(entry)) return {};
    const params = takeKeys(entry, (k) => !coreKeys.includes(k));
    if (entry.params === undefined || entry.params === null) {
      delete entry.params;
      return params;
    }
    if (!isPlainMapping(entry.params)) return params; // class-validator reports "params: must be a mapping"
    for (const [key, value] of Object.entries(entry.params)) {
      if (key in params) issues.push({ path: `${section}.${index}.${key}`, message: 'given both flat and under params' });
      else params[key] = value;
    }
    delete entry.params;
    return params;
  });
}

/**
 * Validates algorithm options and sets them (with their defaults) on `config.train`. Without a catalog,
 * option keys are errors: unchecked keys would let a typo through unnoticed.
 */
export function applyAlgorithmOptions(config: UnifiedConfig, keys: PluginKeys, catalog: ContributionCatalog | undefined, issues: ConfigIssue[]): void {
  const train = config.train as unknown as Record<string, unknown> | undefined;
  if (!train) return;
  const extras = Object.keys(keys.trainExtras);
  const algo = String(config.algo);
  const meta = catalog?.metadata('algorithm', algo);
  const core = fieldNames(TrainingConfig);
  if (!meta?.options) {
    const why = !catalog
      ? 'no plugin catalog was given, so algorithm options cannot be checked'
      : meta
        ? `algorithm "${algo}" takes no options`
        : `no installed plugin provides algorithm "${algo}", so its options are unknown`;
    for (const key of extras) issues.push({ path: `train.${key}`, message: `unknown key${suggestKey(key, 'train', core)}; ${why}` });
    if (meta) applyAlgorithmKeys(train, keys.train ?? {}, algo, undefined, issues);
    return;
  }
  const optionKeys = fieldNames(meta.options);
  // options may redeclare a TrainingConfig key to change its default (as TRL's DPOConfig lowers learning_rate)
  const plain: Record<string, unknown> = { ...keys.trainExtras };
  for (const key of optionKeys) if (keys.train && key in keys.train && core.includes(key)) plain[key] = keys.train[key];
  const result = validateSection(meta.options, plain, 'train', {
    extraCandidates: core,
    unknownKeyHint: `not an option of algorithm "${algo}"`,
  });
  // a TrainingConfig key checked by both classes may fail both: report it once
  issues.push(...result.issues.filter((issue) => !issues.some((i) => i.path === issue.path)));
  for (const key of optionKeys) train[key] = (result.instance as Record<string, unknown>)[key];
  applyAlgorithmKeys(train, keys.train ?? {}, algo, meta.options, issues);
}

/**
 * The seed's algorithm-dependent TrainingConfig keys (kl_coef...): kept where the options class redeclares
 * them, moved to the option a rename names (an explicit value there that disagrees is a conflict), refused
 * otherwise. Unused ones are removed, so the resolved config shows only what the algorithm reads.
 */
function applyAlgorithmKeys(
  train: Record<string, unknown>,
  given: Record<string, unknown>,
  algo: string,
  options: Constructor | undefined,
  issues: ConfigIssue[],
): void {
  const use = keyUseOf(options);
  const optionKeys = options ? fieldNames(options) : [];
  for (const key of ALGORITHM_TRAINING_KEYS) {
    if (optionKeys.includes(key) || use.uses?.includes(key)) continue;
    const value = given[key];
    delete train[key];
    if (value === undefined || value === null) continue;
    const target = use.renames?.[key];
    if (!target) {
      const instead = use.instead?.[key] ?? 'remove it';
      issues.push({ path: `train.${key}`, message: `not used by algorithm "${algo}"; ${instead}` });
    } else if (target in given && given[target] !== value) {
      issues.push({
        path: `train.${target}`,
        message: `conflicts with train.${key} (the seed's name for ${algo}'s ${target}): ${target} = ${formatValue(given[target])}, ${key} = ${formatValue(value)}; set one of them`,
      });
    } else {
      train[target] = value;
    }
  }
}

/** `rewards:` on an algorithm that does not train on them: used by evaluation when a task is in play, else refused. */
export function rewardUseIssues(config: UnifiedConfig, catalog: ContributionCatalog | undefined): ConfigIssue[] {
  const meta = catalog?.metadata('algorithm', String(config.algo));
  if (!meta || keyUseOf(meta.options).rewards || !Array.isArray(config.rewards) || config.rewards.length === 0) return [];
  if (hasTasks(config)) return [];
  const instead = keyUseOf(meta.options).instead?.rewards;
  const hint = 'remove rewards:, or give the datasets a task_type (with eval data) so evaluation reports them';
  return [{ path: 'rewards', message: `algorithm "${config.algo}" does not train on rewards; ${instead ? `${instead}; ` : ''}${hint}` }];
}

/** What validation accepted but a user may not expect: parts of the config that only evaluation uses. */
export function configNotes(config: UnifiedConfig, catalog: ContributionCatalog | undefined): string[] {
  const meta = catalog?.metadata('algorithm', String(config.algo));
  if (!meta || keyUseOf(meta.options).rewards) return [];
  const notes: string[] = [];
  if (config.tasks.length > 0) {
    notes.push(`tasks: ${config.algo} trains on no rewards; tasks are used for evaluation only (task metrics) and to format the prompts of datasets with their task_type`);
  }
  if (config.rewards.length > 0) notes.push(`rewards: ${config.algo} does not train on rewards; they are used for evaluation only (task metrics such as reward_mean)`);
  return notes;
}

function hasTasks(config: UnifiedConfig): boolean {
  return (config.tasks?.length ?? 0) > 0 || (config.datasets ?? []).some((ds) => typeof ds?.task_type === 'string');
}

/** Validates reward / task parameters against the plugin's params class and stores them in `params`. */
export function applyEntryParams(
  kind: 'reward' | 'task',
  entries: (RewardConfig | TaskConfig)[] | undefined,
  params: Record<string, unknown>[],
  catalog: ContributionCatalog | undefined,
  issues: ConfigIssue[],
): void {
  if (!Array.isArray(entries)) return;
  const section = kind === 'reward' ? 'rewards' : 'tasks';
  const coreKeys = kind === 'reward' ? REWARD_KEYS : TASK_KEYS;
  entries.forEach((entry, index) => {
    if (!entry || typeof entry !== 'object') return;
    const given = params[index] ?? {};
    const id = kind === 'reward' ? (entry as RewardConfig).type : (entry as TaskConfig).name;
    const meta = catalog && typeof id === 'string' ? catalog.metadata(kind, id) : undefined;
    const path = joinPath(section, index);
    if (catalog && !meta) return void (entry.params = given); // an unknown id: reported by catalogIssues
    if (!meta?.params) {
      const why = catalog ? `${kind} "${id}" takes no parameters` : `no plugin catalog was given, so ${kind} parameters cannot be checked`;
      for (const key of Object.keys(given)) {
        issues.push({ path: `${path}.${key}`, message: `unknown key${didYouMean(key, coreKeys)}; ${why}` });
      }
      return void (entry.params = {});
    }
    const result = validateSection(meta.params, { ...given }, path, { extraCandidates: coreKeys.filter((k) => k !== 'params') });
    issues.push(...result.issues);
    entry.params = result.instance as Record<string, unknown>;
  });
}
