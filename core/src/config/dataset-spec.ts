import { describeFields } from './config-fields.js';
import { ConfigValidationError, formatIssue } from './config-validation-error.js';
import { DatasetConfig } from './dataset-config.js';
import { didYouMean } from '../kernel/suggest.js';
import { parseTypedValue } from './typed-value.js';
import { validateSection } from './validate-section.js';

/**
 * Dataset spec strings (`--dataset` on the command line, or a string entry in `datasets:`):
 *
 *   name[:split][#percent=N|#max=N][?map.new=old&key=value...]
 *
 * - `name` is a Hub id (may contain '/') or a local path. The split is the text after the LAST ':' of the
 *   part before '#'/'?', provided it contains no '/' or '\' — so `C:\data\x.jsonl` keeps its drive letter
 *   and a path with a ':' in a directory name still works.
 * - `#` takes `percent=N` and/or `max=N`, joined by '&'.
 * - `?` takes `map.<new>=<old>` column renames and any other DatasetConfig key (subset, revision, loader,
 *   adapter, task_type, weight, eval_split, chat_template), joined by '&'.
 */
export function parseDatasetSpec(spec: string): DatasetConfig {
  const plain = datasetSpecToPlain(spec);
  const { instance, issues } = validateSection(DatasetConfig, plain, '');
  if (issues.length > 0) throw specError(spec, issues.map((i) => formatIssue(i)).join('; '));
  return instance;
}

/** The spec as a plain DatasetConfig mapping (values typed, not yet range-checked). Throws on syntax errors. */
export function datasetSpecToPlain(spec: string): Record<string, unknown> {
  const queryAt = spec.indexOf('?');
  const head = queryAt < 0 ? spec : spec.slice(0, queryAt);
  const query = queryAt < 0 ? undefined : spec.slice(queryAt + 1);
  const hashAt = head.indexOf('#');
  const location = hashAt < 0 ? head : head.slice(0, hashAt);
  const plain: Record<string, unknown> = { ...parseLocation(spec, location) };
  if (hashAt >= 0) parseLimits(spec, head.slice(hashAt + 1), hashAt + 1, plain);
  if (query !== undefined) parseQuery(spec, query, queryAt + 1, plain);
  return plain;
}

function parseLocation(spec: string, location: string): { name: string; split?: string } {
  const colon = location.lastIndexOf(':');
  const tail = colon < 0 ? '' : location.slice(colon + 1);
  const hasSplit = colon >= 0 && !/[/\\]/.test(tail);
  const name = hasSplit ? location.slice(0, colon) : location;
  if (name.trim() === '') throw specError(spec, 'missing dataset name at the start');
  if (!hasSplit) return { name };
  if (tail === '') throw specError(spec, `empty split after ':' at character ${colon + 1}`);
  return { name, split: tail };
}

const LIMIT_KEYS: Record<string, string> = { percent: 'percent', max: 'max_samples' };

function parseLimits(spec: string, text: string, offset: number, plain: Record<string, unknown>): void {
  if (text === '') throw specError(spec, `nothing after '#' at character ${offset}; expected percent=N or max=N`);
  for (const [key, raw, at] of pairs(spec, text, offset)) {
    const target = LIMIT_KEYS[key];
    if (!target) {
      const hint = didYouMean(key, Object.keys(LIMIT_KEYS));
      throw specError(spec, `unknown limit "${key}" at character ${at}${hint}; expected percent=N or max=N (combine with '&')`);
    }
    assign(spec, plain, target, raw, at, key);
  }
}

function parseQuery(spec: string, text: string, offset: number, plain: Record<string, unknown>): void {
  if (text === '') throw specError(spec, `nothing after '?' at character ${offset}; expected map.<new>=<old> or key=value`);
  const mapping: Record<string, string> = {};
  const keys = [...describeFields(DatasetConfig).keys()].filter((k) => !['name', 'split', 'column_mapping'].includes(k));
  for (const [key, raw, at] of pairs(spec, text, offset)) {
    if (key.startsWith('map.')) {
      const column = key.slice(4);
      if (column === '' || raw === '') throw specError(spec, `"${key}=${raw}" at character ${at} needs map.<new column>=<source column>`);
      mapping[column] = raw;
    } else if (keys.includes(key)) {
      assign(spec, plain, key, raw, at, key);
    } else {
      throw specError(spec, `unknown key "${key}" at character ${at}${didYouMean(key, [...keys, 'map.'])}; expected map.<new>=<old> or one of ${keys.join(', ')}`);
    }
  }
  if (Object.keys(mapping).length > 0) plain.column_mapping = mapping;
}

/** Splits `k=v&k=v`, yielding [key, value, character position of the key]. */
function* pairs(spec: string, text: string, offset: number): Generator<[string, string, number]> {
  let at = offset;
  for (const part of text.split('&')) {
    const eq = part.indexOf('=');
    if (part === '') throw specError(spec, `empty entry at character ${at} (doubled '&'?)`);
    if (eq <= 0) throw specError(spec, `"${part}" at character ${at} is not key=value`);
    yield [part.slice(0, eq), part.slice(eq + 1), at];
    at += part.length + 1;
  }
}

function assign(spec: string, plain: Record<string, unknown>, target: string, raw: string, at: number, key: string): void {
  if (target in plain) throw specError(spec, `"${key}" is given twice (at character ${at})`);
  const parsed = parseTypedValue(raw, describeFields(DatasetConfig).get(target));
  if (!parsed.ok) throw specError(spec, `${key} at character ${at} ${parsed.message}`);
  plain[target] = parsed.value;
}

function specError(spec: string, message: string): ConfigValidationError {
  return new ConfigValidationError([{ path: `dataset spec "${spec}"`, message }]);
}
