import type { Constructor } from '../kernel/contribution.js';
import { describeFields } from './config-fields.js';

/**
 * A deep, plain copy of a config tree: class instances become plain mappings, undefined values are dropped.
 * Validation works on this copy, so callers' objects are never modified. Keys of config class instances
 * come in declaration order (class-transformer appends given keys after the defaults), which keeps
 * printed configs readable; keys a class does not declare (plugin options) follow.
 */
export function toPlainTree(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(toPlainTree);
  if (typeof value !== 'object' || value === null) return value;
  const plain: Record<string, unknown> = {};
  for (const key of orderedKeys(value)) {
    const v = (value as Record<string, unknown>)[key];
    if (v !== undefined) plain[key] = toPlainTree(v);
  }
  return plain;
}

function orderedKeys(value: object): string[] {
  const own = Object.keys(value);
  const ctor = value.constructor as Constructor | undefined;
  if (!ctor || ctor === Object) return own;
  const declared = [...describeFields(ctor).keys()].filter((k) => own.includes(k));
  return [...declared, ...own.filter((k) => !declared.includes(k))];
}
