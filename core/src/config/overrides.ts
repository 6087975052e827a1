import type { Constructor } from '../kernel/contribution.js';
import { describeFields, isListKind, type FieldInfo } from './config-fields.js';
import { DatasetConfig } from './dataset-config.js';
import { formatValue, joinPath, type ConfigIssue } from './config-validation-error.js';
import type { ContributionCatalog } from './contribution-catalog.js';
import { suggestKey } from './key-suggestions.js';
import { isPlainMapping } from './field-rules.js';
import { RewardConfig } from './reward-config.js';
import { specEntryToPlain, specIssues } from './spec-entry.js';
import { TaskConfig } from './task-config.js';
import { TrainingConfig } from './training-config.js';
import { parseTypedValue } from './typed-value.js';
import { UnifiedConfig } from './unified-config.js';
import { ModelConfig } from './model-config.js';
import { PEFT_ALIASES } from './peft-aliases.js';
import { PeftConfig } from './peft-config.js';

/** What the walk knows about the container a path segment indexes into. */
type Shape =
  | { kind: 'class'; cls: Constructor }
  | { kind: 'list'; item: Constructor | FieldInfo }
  | { kind: 'map'; value?: FieldInfo }
  | { kind: 'any' };

const STRING_FIELD: FieldInfo = { name: 'item', kind: 'string', optional: false };
const NUMBER_FIELD: FieldInfo = { name: 'item', kind: 'number', optional: false };

class OverrideError extends Error {}

/**
 * Applies `--set a.b=c` overrides to a plain config, in order. Values are parsed as the target field's type
 * (see parseTypedValue); list entries are addressed by index (`datasets.0.name=x`; index == length appends).
 * Keys under `train:` and reward/task entries that the core classes do not define are typed by the plugin's
 * options/params class when the catalog provides one, else coerced loosely (validation checks them later).
 * Returns one issue per bad override; good ones are applied either way.
 */
export function applyOverrides(plain: Record<string, unknown>, overrides: readonly string[], catalog?: ContributionCatalog): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  for (const override of overrides) {
    const eq = override.indexOf('=');
    const path = eq < 0 ? override : override.slice(0, eq);
    try {
      if (eq <= 0) throw new OverrideError('expected path=value, e.g. train.learning_rate=1e-5');
      applyOne(plain, path.split('.'), override.slice(eq + 1), catalog);
    } catch (error) {
      if (!(error instanceof OverrideError)) throw error;
      issues.push({ path, message: `${error.message} [--set ${override}]` });
    }
  }
  return issues;
}

function applyOne(root: Record<string, unknown>, segments: string[], raw: string, catalog: ContributionCatalog | undefined): void {
  if (segments.some((s) => s === '')) throw new OverrideError('empty path segment');
  let container: Record<string, unknown> | unknown[] = root;
  let shape: Shape = { kind: 'class', cls: UnifiedConfig };
  segments.forEach((segment, index) => {
    const where = joinPath(...segments.slice(0, index)) || 'the configuration';
    const target = resolveSegment(shape, container, segment, where, root, catalog);
    if (index === segments.length - 1) return setValue(container, target.key, raw, target.field);
    const next = descend(container, target, segment, joinPath(...segments.slice(0, index + 1)));
    [container, shape] = next;
  });
}

interface Target {
  key: string | number;
  field?: FieldInfo;
  /** the class of a nested section / list item, when the key addresses one */
  cls?: Constructor;
}

function resolveSegment(shape: Shape, container: object, segment: string, where: string, root: Record<string, unknown>, catalog?: ContributionCatalog): Target {
  switch (shape.kind) {
    case 'list':
      return resolveIndex(shape, container as unknown[], segment, where);
    case 'map':
      return { key: segment, field: shape.value };
    case 'any':
      return { key: segment };
    case 'class':
      return resolveKey(shape.cls, container as Record<string, unknown>, segment, where, root, catalog);
  }
}

function resolveIndex(shape: Extract<Shape, { kind: 'list' }>, list: unknown[], segment: string, where: string): Target {
  if (!/^\d+$/.test(segment)) throw new OverrideError(`${where} is a list: expected an index, got "${segment}"`);
  const index = Number(segment);
  if (index > list.length) throw new OverrideError(`index ${index} is out of range: ${where} has ${list.length} entries (use ${list.length} to append)`);
  return typeof shape.item === 'function' ? { key: index, cls: shape.item } : { key: index, field: shape.item };
}

function resolveKey(cls: Constructor, entry: Record<string, unknown>, segment: string, where: string, root: Record<string, unknown>, catalog?: ContributionCatalog): Target {
  const field = describeFields(cls).get(segment);
  if (field) return { key: segment, field, cls: field.nested };
  // the seed's flat LoRA keys (model.lora_r, ...) are set as written, typed as the model.peft field they stand for
  const alias = cls === ModelConfig ? PEFT_ALIASES[segment] : undefined;
  if (alias) return { key: segment, field: describeFields(PeftConfig).get(alias) };
  const plugin = pluginClass(cls, entry, root, catalog);
  if (plugin === 'open') return { key: segment }; // a plugin key we cannot type here; validation checks it
  const pluginField = plugin ? describeFields(plugin).get(segment) : undefined;
  if (pluginField) return { key: segment, field: pluginField, cls: pluginField.nested };
  const candidates = [...describeFields(cls).keys(), ...(plugin ? describeFields(plugin).keys() : [])];
  throw new OverrideError(`unknown key "${segment}" in ${where}${suggestKey(segment, where === 'the configuration' ? '' : where, candidates)}`);
}

/** The plugin class whose keys may also appear in this section; 'open' when keys are plugin-defined but unknown. */
function pluginClass(cls: Constructor, entry: Record<string, unknown>, root: Record<string, unknown>, catalog?: ContributionCatalog): Constructor | 'open' | undefined {
  if (cls === TrainingConfig) {
    const meta = catalog && typeof root.algo === 'string' ? catalog.metadata('algorithm', root.algo) : undefined;
    return meta?.options ?? 'open';
  }
  if (cls === RewardConfig || cls === TaskConfig) {
    const kind = cls === RewardConfig ? 'reward' : 'task';
    const id = cls === RewardConfig ? entry.type : entry.name;
    const meta = catalog && typeof id === 'string' ? catalog.metadata(kind, id) : undefined;
    return meta?.params ?? 'open';
  }
  return undefined;
}

function descend(container: Record<string, unknown> | unknown[], target: Target, segment: string, path: string): [Record<string, unknown> | unknown[], Shape] {
  const { field } = target;
  const record = container as Record<string | number, unknown>;
  const listItem = Array.isArray(container) && target.cls !== undefined;
  const wantsList = isListKind(field?.kind);
  if (field && !listItem && !wantsList && !['nested', 'mapping', 'string-record'].includes(field.kind)) {
    const article = /^[aeiou]/.test(field.kind) ? 'an' : 'a';
    throw new OverrideError(`${path} is ${article} ${field.kind} value: it has no key after "${segment}"`);
  }
  let child = record[target.key];
  if (child === undefined || child === null) child = record[target.key] = wantsList ? [] : {};
  if (typeof child === 'string' && (target.cls === DatasetConfig || target.cls === RewardConfig)) child = record[target.key] = expandSpec(path, child);
  if (wantsList ? !Array.isArray(child) : !isPlainMapping(child)) {
    throw new OverrideError(`cannot set a key inside ${path}: it is ${formatValue(child)}, not a ${wantsList ? 'list' : 'mapping'}`);
  }
  return [child as Record<string, unknown> | unknown[], childShape(target)];
}

/** `--set datasets.0.split=test` on a spec string entry edits the mapping the spec stands for. */
function expandSpec(path: string, spec: string): Record<string, unknown> {
  try {
    return specEntryToPlain(path.split('.')[0]!, spec);
  } catch (error) {
    throw new OverrideError(specIssues(error, path).map((i) => i.message).join('; '));
  }
}

function childShape(target: Target): Shape {
  const { field, cls } = target;
  if (field?.kind === 'nested-list') return { kind: 'list', item: field.nested! };
  if (field?.kind === 'string-list' || field?.kind === 'enum-list') return { kind: 'list', item: STRING_FIELD };
  if (field?.kind === 'number-list') return { kind: 'list', item: NUMBER_FIELD };
  if (field?.kind === 'string-record') return { kind: 'map', value: STRING_FIELD };
  if (field?.kind === 'mapping') return { kind: 'map' };
  if (cls) return { kind: 'class', cls };
  return { kind: 'any' };
}

function setValue(container: Record<string, unknown> | unknown[], key: string | number, raw: string, field: FieldInfo | undefined): void {
  const parsed = parseTypedValue(raw, field);
  if (!parsed.ok) throw new OverrideError(parsed.message);
  (container as Record<string | number, unknown>)[key] = parsed.value;
}
