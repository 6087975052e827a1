import { ConfigValidationError, type ConfigIssue } from './config-validation-error.js';
import { datasetSpecToPlain } from './dataset-spec.js';
import { rewardSpecToPlain } from './reward-spec.js';

/**
 * A spec string standing for a `datasets:` or `rewards:` entry, as the mapping one would write in YAML.
 * Reward parameters come out flat (next to `type`), the form users write, so a later
 * `--set rewards.0.min_length=5` addresses the same key. Throws ConfigValidationError on syntax errors.
 */
export function specEntryToPlain(section: string, spec: string): Record<string, unknown> {
  if (section === 'datasets') return datasetSpecToPlain(spec);
  const { params, ...entry } = rewardSpecToPlain(spec);
  return { ...(params as Record<string, unknown>), ...entry };
}

/** Issues from a spec error, re-rooted at a config path (`datasets.1`). */
export function specIssues(error: unknown, path: string): ConfigIssue[] {
  if (!(error instanceof ConfigValidationError)) throw error;
  return error.issues.map((issue) => ({ path, message: `${issue.path}: ${issue.message}` }));
}
