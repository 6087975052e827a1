import type { ConfigIssue } from './config-validation-error.js';
import type { UnifiedConfig } from './unified-config.js';

/** Rules that involve more than one field. Each skips silently when a field it needs already failed. */
export function crossFieldIssues(config: UnifiedConfig): ConfigIssue[] {
  return [...trainingIssues(config), ...datasetIssues(config), ...duplicateIssues(config), ...adapterIssues(config)];
}

function trainingIssues(config: UnifiedConfig): ConfigIssue[] {
  const train = config.train;
  if (!train) return [];
  const issues: ConfigIssue[] = [];
  if (train.max_steps == null && train.epochs == null) {
    issues.push({ path: 'train', message: 'set train.max_steps or train.epochs (required: there is no default training length)' });
  }
  if (isPositive(train.warmup_steps) && isPositive(train.warmup_ratio)) {
    issues.push({ path: 'train.warmup_ratio', message: 'set either warmup_steps or warmup_ratio, not both' });
  }
  if (isPositive(train.max_prompt_length) && isPositive(train.max_length) && train.max_prompt_length > train.max_length) {
    issues.push({
      path: 'train.max_prompt_length',
      message: `must not exceed train.max_length (${train.max_prompt_length} > ${train.max_length})`,
    });
  }
  return issues;
}

function datasetIssues(config: UnifiedConfig): ConfigIssue[] {
  const weights = (config.datasets ?? []).map((d) => d?.weight);
  const allZero = weights.length > 0 && weights.every((w) => w === 0);
  return allZero ? [{ path: 'datasets', message: 'at least one dataset needs a weight > 0' }] : [];
}

function duplicateIssues(config: UnifiedConfig): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const seen = (values: unknown[], path: (i: number) => string, what: string) => {
    const first = new Map<unknown, number>();
    values.forEach((v, i) => {
      if (typeof v !== 'string') return;
      if (first.has(v)) issues.push({ path: path(i), message: `duplicate ${what} "${v}" (also at index ${first.get(v)})` });
      else first.set(v, i);
    });
  };
  seen((config.tasks ?? []).map((t) => t?.name), (i) => `tasks.${i}.name`, 'task');
  const loggers = config.logging?.loggers;
  if (Array.isArray(loggers)) seen(loggers, (i) => `logging.loggers.${i}`, 'logger');
  return issues;
}

/** A starting adapter is LoRA training: without model.peft it would be ignored. */
function adapterIssues(config: UnifiedConfig): ConfigIssue[] {
  const model = config.model;
  if (!model?.adapter_path || model.peft?.enabled) return [];
  return [{ path: 'model.adapter_path', message: 'loads a LoRA adapter to train on: set model.peft (or model.use_peft: true) with its settings' }];
}

function isPositive(value: unknown): value is number {
  return typeof value === 'number' && value > 0;
}
