import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';
import type { Constructor } from '../kernel/contribution.js';
import { describeFields, type FieldInfo } from './config-fields.js';
import { formatValue, joinPath, type ConfigIssue } from './config-validation-error.js';
import { aliasOf, suggestKey } from './key-suggestions.js';
import { isPlainMapping } from './field-rules.js';

export interface SectionResult<T> {
  instance: T;
  issues: ConfigIssue[];
}

export interface SectionOptions {
  /** More names to suggest for unknown keys (e.g. TrainingConfig's keys when checking algorithm options). */
  extraCandidates?: readonly string[];
  /** Extra text for unknown-key messages at the top level of this section. */
  unknownKeyHint?: string;
}

/**
 * Validates one plain mapping against a config class: unknown keys (recursively, with suggestions), then
 * class-transformer builds the instance (defaults from field initialisers; no implicit conversion, so "abc"
 * stays "abc" and is reported rather than becoming NaN), then class-validator checks the values.
 * `plain` may be modified (bad nested sections are removed once reported).
 */
export function validateSection<T>(
  cls: Constructor<T>,
  plain: Record<string, unknown>,
  path: string,
  options: SectionOptions = {},
): SectionResult<T> {
  const issues: ConfigIssue[] = [];
  const reported = new Set<string>();
  checkKeys(cls, plain, path, { issues, reported }, options);
  const instance = plainToInstance(cls, plain) as T;
  const errors = validateSync(instance as object, { forbidUnknownValues: false });
  for (const error of errors) collectIssues(cls, error, path, issues, reported);
  return { instance, issues };
}

interface Sink {
  issues: ConfigIssue[];
  reported: Set<string>;
}

function checkKeys(cls: Constructor, plain: Record<string, unknown>, path: string, sink: Sink, options: SectionOptions = {}): void {
  const fields = describeFields(cls);
  const candidates = [...fields.keys(), ...(options.extraCandidates ?? [])];
  for (const key of Object.keys(plain)) {
    const field = fields.get(key);
    if (!field) {
      // a known Hugging Face / TRL name needs no more than its equivalent
      const hint = options.unknownKeyHint && !aliasOf(key, path) ? `; ${options.unknownKeyHint}` : '';
      sink.issues.push({ path: joinPath(path, key), message: `unknown key${suggestKey(key, path, candidates)}${hint}` });
      delete plain[key];
    } else if (field.nested) {
      checkNested(field, plain, key, joinPath(path, key), sink);
    }
  }
}

function checkNested(field: FieldInfo, plain: Record<string, unknown>, key: string, path: string, sink: Sink): void {
  const value = plain[key];
  // An empty YAML section (`logging:`) parses as null: treat it as absent so defaults apply.
  if (value === null || value === undefined) return void delete plain[key];
  if (field.kind === 'nested') {
    if (checkMapping(value, path, sink)) checkKeys(field.nested!, value as Record<string, unknown>, path, sink);
    else delete plain[key];
    return;
  }
  if (!Array.isArray(value)) {
    report(sink, path, `must be a list (got ${formatValue(value)})`);
    return void delete plain[key];
  }
  value.forEach((item, index) => {
    const itemPath = joinPath(path, index);
    if (checkMapping(item, itemPath, sink)) checkKeys(field.nested!, item as Record<string, unknown>, itemPath, sink);
  });
}

function checkMapping(value: unknown, path: string, sink: Sink): boolean {
  if (isPlainMapping(value)) return true;
  report(sink, path, `must be a mapping (got ${formatValue(value)})`);
  return false;
}

function report(sink: Sink, path: string, message: string): void {
  sink.issues.push({ path, message });
  sink.reported.add(path);
}

function collectIssues(cls: Constructor, error: ValidationError, parentPath: string, issues: ConfigIssue[], reported: Set<string>): void {
  const path = joinPath(parentPath, error.property);
  if (isUnderReported(path, reported)) return;
  const field = describeFields(cls).get(error.property);
  if (error.constraints) issues.push({ path, message: messageFor(error, field) });
  const nestedCls = field?.nested;
  for (const child of error.children ?? []) {
    // list items: the child property is the index and its own children are the item's fields
    if (field?.kind === 'nested-list' && nestedCls) {
      const itemPath = joinPath(path, child.property);
      for (const grandChild of child.children ?? []) collectIssues(nestedCls, grandChild, itemPath, issues, reported);
    } else if (nestedCls) {
      collectIssues(nestedCls, child, path, issues, reported);
    }
  }
}

function isUnderReported(path: string, reported: Set<string>): boolean {
  for (const r of reported) if (path === r || path.startsWith(`${r}.`)) return true;
  return false;
}

function messageFor(error: ValidationError, field: FieldInfo | undefined): string {
  if (error.value === undefined && !field?.optional) return 'is required';
  const messages = [...new Set(Object.values(error.constraints ?? {}))];
  return `${messages.join('; ')} (got ${formatValue(error.value)})`;
}
