/** One problem in a configuration: a dotted path (`datasets.0.name`, `train.learning_rate`) and what is wrong. */
export interface ConfigIssue {
  path: string;
  message: string;
}

/**
 * Every problem found in one pass, so a user fixes a config in one edit rather than one error per run.
 * `source` is the file the config came from, when there was one.
 */
export class ConfigValidationError extends Error {
  override readonly name = 'ConfigValidationError';

  constructor(
    readonly issues: ConfigIssue[],
    readonly source?: string,
  ) {
    super(formatIssues(issues, source));
  }
}

export function formatIssue(issue: ConfigIssue): string {
  return issue.path ? `${issue.path}: ${issue.message}` : issue.message;
}

function formatIssues(issues: ConfigIssue[], source?: string): string {
  const where = source ? ` in ${source}` : '';
  const count = issues.length === 1 ? '1 problem' : `${issues.length} problems`;
  return [`Invalid configuration${where} (${count}):`, ...issues.map((i) => `  - ${formatIssue(i)}`)].join('\n');
}

/** Short, quoted rendering of an offending value for messages: `(got "abc")`. */
export function formatValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  // String() for numbers: JSON would print NaN and Infinity as null
  const text = typeof value === 'string' ? JSON.stringify(value) : typeof value === 'number' ? String(value) : safeJson(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** Joins path segments, skipping empty ones: joinPath('', 'train') === 'train'. */
export function joinPath(...parts: (string | number)[]): string {
  return parts.filter((p) => p !== '').join('.');
}
