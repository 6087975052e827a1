import { parse as parseYaml } from 'yaml';
import type { FieldInfo } from './config-fields.js';
import { formatValue } from './config-validation-error.js';
import { didYouMean } from '../kernel/suggest.js';
import { isPlainMapping } from './field-rules.js';

/** Result of turning a command-line / spec string into a config value. */
export type ParsedValue = { ok: true; value: unknown } | { ok: false; message: string };

const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;
const INTEGER = /^[-+]?\d+$/;

/**
 * A value whose target type is unknown (a plugin parameter without a params class): booleans and nulls
 * spelled as YAML does (true, True, FALSE, null, ~),
 * numbers, "quoted strings", JSON/YAML flow collections ([1,2], {a: 1}); anything else stays a string.
 */
export function coerceScalar(raw: string): unknown {
  const text = raw.trim();
  const bool = yamlBoolean(text);
  if (bool !== undefined) return bool;
  if (isYamlNull(text)) return null;
  if (NUMBER.test(text)) return Number(text);
  if (/^["[{]/.test(text)) {
    try {
      return parseYaml(text) as unknown;
    } catch {
      return raw;
    }
  }
  return raw;
}

/** YAML 1.2's core-schema booleans, what a YAML config accepts: true/True/TRUE and false/False/FALSE. */
export function yamlBoolean(text: string): boolean | undefined {
  if (['true', 'True', 'TRUE'].includes(text)) return true;
  if (['false', 'False', 'FALSE'].includes(text)) return false;
  return undefined;
}

/** YAML 1.2's core-schema nulls. */
function isYamlNull(text: string): boolean {
  return ['null', 'Null', 'NULL', '~'].includes(text);
}

const ok = (value: unknown): ParsedValue => ({ ok: true, value });
const fail = (message: string): ParsedValue => ({ ok: false, message });

/** Parses `raw` as the type `field` declares: "3" is 3 for a number field but "3" for a string field. */
export function parseTypedValue(raw: string, field: FieldInfo | undefined): ParsedValue {
  if (!field) return ok(coerceScalar(raw));
  const text = raw.trim();
  if (field.optional && isYamlNull(text)) return ok(null);
  switch (field.kind) {
    case 'string':
      return ok(raw);
    case 'number':
      return NUMBER.test(text) ? ok(Number(text)) : fail(`expects a number (got ${formatValue(raw)})`);
    case 'integer':
      return INTEGER.test(text) ? ok(Number(text)) : fail(`expects an integer (got ${formatValue(raw)})`);
    case 'boolean':
      return yamlBoolean(text) !== undefined ? ok(yamlBoolean(text)) : fail(`expects true or false (got ${formatValue(raw)})`);
    case 'enum':
      return parseEnum(text, field.values ?? []);
    case 'string-list':
      return parseStringList(text);
    case 'number-list':
      return parseNumberList(text);
    case 'enum-list':
      return parseEnumList(text, field.values ?? []);
    case 'nested-list':
      return parseStructured(text, 'list');
    case 'nested':
    case 'mapping':
    case 'string-record':
      return parseStructured(text, 'mapping');
    default:
      return ok(coerceScalar(raw));
  }
}

function parseEnum(text: string, values: string[]): ParsedValue {
  if (values.includes(text)) return ok(text);
  const choices = values.map((v) => `"${v}"`).join(', ');
  return fail(`expects one of ${choices} (got ${formatValue(text)})${didYouMean(text, values)}`);
}

/** `[a, b]` (JSON / YAML flow) or the shorthand `a,b`. */
function parseStringList(text: string): ParsedValue {
  if (!text.startsWith('[')) return ok(text.split(',').map((s) => s.trim()).filter((s) => s !== ''));
  const parsed = parseFlow(text);
  if (!parsed.ok) return parsed;
  const list = parsed.value;
  if (Array.isArray(list) && list.every((v) => typeof v === 'string')) return ok(list);
  return fail(`expects a list of strings (got ${formatValue(text)})`);
}

/** `[0.5, 2]` or `0.5,2`. */
function parseNumberList(text: string): ParsedValue {
  const list = text.startsWith('[') ? parseFlow(text) : ok(text.split(',').map((s) => s.trim()).filter((s) => s !== '').map((s) => (NUMBER.test(s) ? Number(s) : s)));
  if (!list.ok) return list;
  const values = list.value;
  if (Array.isArray(values) && values.every((v) => typeof v === 'number' && Number.isFinite(v))) return ok(values);
  return fail(`expects a list of numbers (got ${formatValue(text)})`);
}

/** A string list whose every item is one of `values`. */
function parseEnumList(text: string, values: string[]): ParsedValue {
  const list = parseStringList(text);
  if (!list.ok) return list;
  for (const item of list.value as string[]) {
    const one = parseEnum(item, values);
    if (!one.ok) return one;
  }
  return list;
}

function parseStructured(text: string, shape: 'list' | 'mapping'): ParsedValue {
  const parsed = parseFlow(text);
  if (!parsed.ok) return parsed;
  const good = shape === 'list' ? Array.isArray(parsed.value) : isPlainMapping(parsed.value);
  const example = shape === 'list' ? '[...]' : '{...}';
  return good ? parsed : fail(`expects a ${shape} written as JSON/YAML ${example} (got ${formatValue(text)})`);
}

function parseFlow(text: string): ParsedValue {
  try {
    return ok(parseYaml(text) as unknown);
  } catch (error) {
    const detail = (error as Error).message.split('\n')[0];
    return fail(`is not valid JSON/YAML: ${detail} (got ${formatValue(text)})`);
  }
}
