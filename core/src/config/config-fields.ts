import { getMetadataStorage } from 'class-validator';

/** class-validator does not export its ValidationMetadata type from the package root. */
type ValidationMetadata = ReturnType<ReturnType<typeof getMetadataStorage>['getTargetValidationMetadatas']>[number];
import type { Constructor } from '../kernel/contribution.js';
import { getDescription, getExamples, getNestedInfo } from './field-rules.js';

export type FieldKind =
  | 'string'
  | 'number'
  | 'integer'
  | 'boolean'
  | 'enum'
  | 'string-list'
  | 'number-list'
  | 'enum-list'
  | 'nested'
  | 'nested-list'
  | 'string-record'
  | 'mapping'
  | 'unknown';

/** What the class-validator metadata says about one config property. */
export interface FieldInfo {
  name: string;
  kind: FieldKind;
  /** has @IsOptional: undefined and null are accepted (null means "unset"). */
  optional: boolean;
  values?: string[];
  nested?: Constructor;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minItems?: number;
  nonEmpty?: boolean;
  description?: string;
  /** well-known values of an open id field (for editor completion) */
  examples?: string[];
}

const cache = new Map<Constructor, Map<string, FieldInfo>>();

/**
 * The properties of a class-validator class, read from `getMetadataStorage()`. Every config property carries
 * at least one rule, so this is also the set of keys a section accepts. Plugin option classes work the same.
 */
export function describeFields(cls: Constructor): Map<string, FieldInfo> {
  let fields = cache.get(cls);
  if (!fields) {
    fields = new Map();
    const metadata = getMetadataStorage().getTargetValidationMetadatas(cls, '', true, false);
    for (const [name, rules] of Object.entries(groupByProperty(metadata))) fields.set(name, toFieldInfo(cls, name, rules));
    cache.set(cls, fields);
  }
  return fields;
}

export function fieldNames(cls: Constructor): string[] {
  return [...describeFields(cls).keys()];
}

function groupByProperty(metadata: ValidationMetadata[]): Record<string, ValidationMetadata[]> {
  const groups: Record<string, ValidationMetadata[]> = {};
  for (const m of metadata) (groups[m.propertyName] ??= []).push(m);
  return groups;
}

function toFieldInfo(cls: Constructor, name: string, rules: ValidationMetadata[]): FieldInfo {
  const byName = new Map(rules.filter((r) => r.name).map((r) => [r.name!, r]));
  const constraint = (rule: string): number | undefined => byName.get(rule)?.constraints?.[0] as number | undefined;
  const nested = getNestedInfo(cls, name);
  const info: FieldInfo = {
    name,
    kind: kindOf(byName, nested?.each),
    optional: byName.has('isOptional'),
    description: getDescription(cls, name),
  };
  const examples = getExamples(cls, name);
  if (examples) info.examples = examples;
  if (nested) info.nested = nested.type();
  if (byName.has('isIn')) info.values = [...(constraint('isIn') as unknown as string[])];
  if (byName.has('min')) info.minimum = constraint('min');
  if (byName.has('max')) info.maximum = constraint('max');
  if (byName.has('isPositive')) info.exclusiveMinimum = 0;
  if (byName.has('exclusiveMin')) info.exclusiveMinimum = constraint('exclusiveMin');
  if (byName.has('exclusiveMax')) info.exclusiveMaximum = constraint('exclusiveMax');
  if (byName.has('arrayMinSize')) info.minItems = constraint('arrayMinSize');
  if (byName.has('isNotEmpty')) info.nonEmpty = true;
  return info;
}

function kindOf(rules: Map<string, ValidationMetadata>, nestedEach: boolean | undefined): FieldKind {
  if (nestedEach !== undefined) return nestedEach ? 'nested-list' : 'nested';
  if (rules.has('isIn') && rules.get('isIn')!.each) return 'enum-list';
  if (rules.has('isIn')) return 'enum';
  if (rules.has('isNumber') && rules.get('isNumber')!.each) return 'number-list';
  if (rules.has('isInt')) return 'integer';
  if (rules.has('isNumber')) return 'number';
  if (rules.has('isBoolean')) return 'boolean';
  if (rules.has('isArray') && rules.get('isString')?.each) return 'string-list';
  if (rules.has('isStringRecord')) return 'string-record';
  if (rules.has('isObject')) return 'mapping';
  if (rules.has('isString')) return 'string';
  return 'unknown';
}

/** The list kinds: `--set` accepts `[a, b]` or `a,b` for them, and paths inside them index the list. */
export function isListKind(kind: FieldKind | undefined): boolean {
  return kind === 'string-list' || kind === 'number-list' || kind === 'enum-list' || kind === 'nested-list';
}
