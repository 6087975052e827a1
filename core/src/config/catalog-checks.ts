import type { ExtensionKind } from '../kernel/extension-point.js';
import { ALGORITHM_TYPES } from './algorithm-type.js';
import type { ConfigIssue } from './config-validation-error.js';
import type { ContributionCatalog } from './contribution-catalog.js';
import { didYouMean } from '../kernel/suggest.js';
import { SPEC_DISTRIBUTED_BACKENDS } from './distributed-config.js';
import type { UnifiedConfig } from './unified-config.js';

const NOUNS: Partial<Record<ExtensionKind, string>> = {
  algorithm: 'algorithm',
  reward: 'reward',
  task: 'task',
  'dataset-loader': 'dataset loader',
  'schema-adapter': 'schema adapter',
  'metric-logger': 'metric logger',
  'distributed-backend': 'distributed backend',
  'compute-backend': 'compute backend',
};

/**
 * Ids a config names that only plugins can provide. Without a catalog only `algo` (against the spec's list)
 * and `distributed.backend` (against the spec's names) are checked; the CLI and TrainerFactory always pass
 * the kernel's catalog.
 */
export function catalogIssues(config: UnifiedConfig, catalog: ContributionCatalog | undefined): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  checkAlgorithm(config, catalog, issues);
  checkBackend(config, catalog, issues);
  if (!catalog) return issues;
  const check = (kind: ExtensionKind, id: string | undefined, path: string) => {
    if (id !== undefined && typeof id === 'string') checkId(catalog, kind, id, path, issues);
  };
  config.rewards?.forEach((r, i) => check('reward', r?.type, `rewards.${i}.type`));
  config.tasks?.forEach((t, i) => check('task', t?.name, `tasks.${i}.name`));
  config.datasets?.forEach((d, i) => {
    check('task', d?.task_type, `datasets.${i}.task_type`);
    check('dataset-loader', d?.loader, `datasets.${i}.loader`);
    check('schema-adapter', d?.adapter, `datasets.${i}.adapter`);
  });
  check('compute-backend', config.compute?.backend, 'compute.backend');
  const loggers = config.logging?.loggers;
  if (Array.isArray(loggers)) loggers.forEach((l, i) => check('metric-logger', l, `logging.loggers.${i}`));
  return issues;
}

function checkAlgorithm(config: UnifiedConfig, catalog: ContributionCatalog | undefined, issues: ConfigIssue[]): void {
  const algo = config.algo;
  if (typeof algo !== 'string' || algo === '') return;
  const known = [...new Set([...ALGORITHM_TYPES, ...(catalog?.ids('algorithm') ?? [])])];
  if (!known.includes(algo)) {
    issues.push({ path: 'algo', message: `unknown algorithm "${algo}"${didYouMean(algo, known)}; known: ${known.join(', ')}` });
  }
}

function checkBackend(config: UnifiedConfig, catalog: ContributionCatalog | undefined, issues: ConfigIssue[]): void {
  const backend = config.distributed?.backend;
  if (typeof backend !== 'string' || backend === '') return;
  const path = 'distributed.backend';
  const installed = catalog?.ids('distributed-backend');
  if (installed?.includes(backend)) return;
  if (installed && (SPEC_DISTRIBUTED_BACKENDS as readonly string[]).includes(backend)) {
    const message = `"${backend}" is not supported by this installation yet: no plugin provides distributed backend "${backend}"`;
    issues.push({ path, message: `${message}${installedList(installed, 'distributed backend')}; install a plugin that provides it (docs/distributed.md: the Open MPI one and what it needs)` });
  } else if (installed) {
    checkId(catalog!, 'distributed-backend', backend, path, issues);
  } else if (!(SPEC_DISTRIBUTED_BACKENDS as readonly string[]).includes(backend)) {
    const known = [...SPEC_DISTRIBUTED_BACKENDS];
    issues.push({ path, message: `unknown distributed backend "${backend}"${didYouMean(backend, known)}; known: ${known.join(', ')}` });
  }
}

function checkId(catalog: ContributionCatalog, kind: ExtensionKind, id: string, path: string, issues: ConfigIssue[]): void {
  const installed = catalog.ids(kind);
  if (installed.includes(id)) return;
  const noun = NOUNS[kind] ?? kind;
  issues.push({ path, message: `unknown ${noun} "${id}"${didYouMean(id, installed)}${installedList(installed, noun)}` });
}

function installedList(installed: string[], noun: string): string {
  return installed.length > 0 ? `; installed: ${installed.join(', ')}` : `; no installed plugin provides any ${noun}`;
}
