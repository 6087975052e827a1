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
 * A value whose target type is unknown (a plugin parameter without a params class): true/false, null,
 * numbers, "quoted strings", JSON/YAML flow collections ([1,2], {a: 1}); anything else stays a string.
 */
export function coerceScalar(raw: string): unknown {
  const text = raw.trim();
  if (text === 'true' || text === 'false') return text === 'true';
  if (text === 'null') return null;
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

const ok = (value: unknown): ParsedValue => ({ ok: true, value });
const fail = (message: string): ParsedValue => ({ ok: false, message });

/** Parses `raw` as the type `field` declares: "3" is 3 for a number field but "3" for a string field. */
export function parseTypedValue(raw: string, field: FieldInfo | undefined): ParsedValue {
  if (!field) return ok(coerceScalar(raw));
  if (field.optional && raw === 'null') return ok(null);
  const text = raw.trim();
  switch (field.kind) {
    case 'string':
      return ok(raw);
    case 'number':
      return NUMBER.test(text) ? ok(Number(text)) : fail(`expects a number (got ${formatValue(raw)})`);
    case 'integer':
      return INTEGER.test(text) ? ok(Number(text)) : fail(`expects an integer (got ${formatValue(raw)})`);
    case 'boolean':
      return text === 'true' || text === 'false' ? ok(text === 'true') : fail(`expects true or false (got ${formatValue(raw)})`);
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
