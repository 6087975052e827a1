import type { ContributionMetadata, Constructor } from '../kernel/contribution.js';
import { EXTENSION_KINDS, type ExtensionKind } from '../kernel/extension-point.js';
import { describeFields, fieldNames, type FieldInfo } from './config-fields.js';
import { anchor, cell, code, generatedNotice, table } from './markdown.js';
import { ALGORITHM_TRAINING_KEYS, TrainingConfig, type AlgorithmTrainingKey } from './training-config.js';
import { keyUseOf } from './unified-key-use.js';
import { UnifiedConfig } from './unified-config.js';

/** One installed contribution, as the kernel knows it (the CLI's docs writer collects these). */
export interface DocumentedContribution {
  kind: ExtensionKind;
  id: string;
  metadata: ContributionMetadata;
  /** the plugin package that provides it */
  source: string;
}

/** A class-validator class documented as one table, under the dotted path where its keys are written. */
interface Section {
  path: string;
  cls: Constructor;
  /** how a section at a path is titled (its heading, and the anchor that links to it) */
  title: (path: string) => string;
}

/** Where each kind's options/params classes are written in a config; kinds not listed take none from it. */
const CONFIGURED_AT: Partial<Record<ExtensionKind, { title: string; where: (id: string) => string }>> = {
  algorithm: { title: 'Algorithm options', where: (id) => `keys under \`train:\` when \`algo: ${id}\`` },
  reward: { title: 'Reward parameters', where: (id) => `extra keys of a \`rewards:\` entry with \`type: ${id}\` (or \`${id}:key=value\` in a reward spec)` },
  task: { title: 'Task parameters', where: (id) => `extra keys of a \`tasks:\` entry with \`name: ${id}\`` },
};

/**
 * The configuration reference (docs/reference/configuration.md): every section of UnifiedConfig and every
 * installed plugin's options/params class, rendered from the same class-validator metadata, @Describe texts
 * and field initialisers that validation and the JSON Schema use, so it cannot drift from the code.
 */
export function renderConfigReference(contributions: readonly DocumentedContribution[] = []): string {
  const sorted = [...contributions].sort(byKindThenId);
  return `${[
    '# Configuration reference',
    generatedNotice('the config classes (core/src/config/) and the options/params classes of the plugins installed in this workspace'),
    INTRO,
    '## Core sections',
    ...sectionsOf(UnifiedConfig, '', coreTitle).map(renderSection),
    ...pluginChapters(sorted),
    renderContributionIndex(sorted),
  ].join('\n\n')}\n`;
}

const INTRO = `Every key a run configuration accepts. What the settings mean, the spec-string grammars, \`--set\`
overrides and the validation rules are explained in [configuration.md](../configuration.md); the command line is
in [cli.md](cli.md).

- **required**: no default, the config is rejected without it. \`—\`: unset by default (optional; \`null\` also
  means unset). Other defaults are shown as JSON.
- Strings must be non-empty unless the type says \`string (may be empty)\`. Unknown keys are errors everywhere.
- Plugin sections list what the plugins installed in this repository provide; \`aligntune plugins\` lists yours.`;

function byKindThenId(a: DocumentedContribution, b: DocumentedContribution): number {
  return EXTENSION_KINDS.indexOf(a.kind) - EXTENSION_KINDS.indexOf(b.kind) || a.id.localeCompare(b.id);
}

/** The class and, depth first, every nested section class below it. */
function sectionsOf(cls: Constructor, path: string, title: (path: string) => string): Section[] {
  const nested = [...describeFields(cls).values()].filter((field) => field.nested);
  return [{ path, cls, title }, ...nested.flatMap((field) => sectionsOf(field.nested!, childPath(path, field), title))];
}

function childPath(path: string, field: FieldInfo): string {
  const key = field.kind === 'nested-list' ? `${field.name}[]` : field.name;
  return path ? `${path}.${key}` : key;
}

function coreTitle(path: string): string {
  return path ? code(path) : '(top level)';
}

function renderSection(section: Section): string {
  return `### ${section.title(section.path)}\n\n${fieldTable(section, () => '')}`;
}

/** `note` adds a remark to a key's description (an algorithm option replacing a `train` default). */
function fieldTable(section: Section, note: (key: string) => string): string {
  const defaults = new section.cls() as Record<string, unknown>;
  const rows = [...describeFields(section.cls).values()].map((field) => [
    code(field.name),
    typeText(field, section),
    defaultText(field, defaults[field.name]),
    cell(describe(field) + note(field.name)),
  ]);
  return table(['key', 'type', 'default', 'description'], rows);
}

function describe(field: FieldInfo): string {
  const examples = field.examples?.length ? ` Known values: ${field.examples.map(code).join(', ')}.` : '';
  return `${field.description ?? ''}${examples}`.trim();
}

function typeText(field: FieldInfo, section: Section): string {
  const child = childPath(section.path, field);
  const link = () => `[${code(child)}](#${anchor(section.title(child))})`;
  switch (field.kind) {
    case 'string':
      return field.nonEmpty ? 'string' : 'string (may be empty)';
    case 'number':
    case 'integer':
      return `${field.kind}${rangeText(field)}`;
    case 'enum':
      return cell(field.values!.map(code).join(' | '));
    case 'string-list':
      return `list of strings${field.minItems ? ` (at least ${field.minItems})` : ''}`;
    case 'number-list':
      return `list of numbers${field.minItems ? ` (at least ${field.minItems})` : ''}`;
    case 'enum-list':
      return cell(`list of ${field.values!.map(code).join(' | ')}${field.minItems ? ` (at least ${field.minItems})` : ''}`);
    case 'string-record':
      return 'mapping string → string';
    case 'nested':
      return `section ${link()}`;
    case 'nested-list':
      return `list of ${link()}${field.minItems ? ` (at least ${field.minItems})` : ''}`;
    case 'unknown':
      return 'any';
    default:
      return field.kind;
  }
}

function rangeText(field: FieldInfo): string {
  // NumberRange(0, Number.MAX_SAFE_INTEGER) only asks for a non-negative number: the upper bound says nothing
  const maximum = field.maximum !== undefined && field.maximum < Number.MAX_SAFE_INTEGER ? field.maximum : undefined;
  const bounds = [
    field.exclusiveMinimum !== undefined ? `> ${field.exclusiveMinimum}` : field.minimum !== undefined ? `≥ ${field.minimum}` : '',
    field.exclusiveMaximum !== undefined ? `< ${field.exclusiveMaximum}` : maximum !== undefined ? `≤ ${maximum}` : '',
  ].filter(Boolean);
  return bounds.length ? ` (${bounds.join(', ')})` : '';
}

function defaultText(field: FieldInfo, value: unknown): string {
  if (value === undefined) return field.optional ? '—' : '**required**';
  // nested section instances: their own table lists the defaults
  if (typeof value === 'object' && value !== null && !Array.isArray(value) && Object.getPrototypeOf(value) !== Object.prototype) {
    return '(section defaults)';
  }
  return cell(code(JSON.stringify(value)));
}

function pluginChapters(contributions: readonly DocumentedContribution[]): string[] {
  return Object.entries(CONFIGURED_AT).flatMap(([kind, place]) => {
    const documented = contributions.filter((c) => c.kind === kind && classOf(c));
    if (documented.length === 0) return [];
    return [`## ${place.title}`, ...documented.map((c) => renderContribution(c, place.where(c.id)))];
  });
}

function classOf(contribution: DocumentedContribution): Constructor | undefined {
  return contribution.metadata.options ?? contribution.metadata.params;
}

function contributionTitle(contribution: DocumentedContribution): string {
  return `${contribution.kind} ${code(contribution.id)}`;
}

function renderContribution(contribution: DocumentedContribution, where: string): string {
  const cls = classOf(contribution)!;
  const about = contribution.metadata.description ? `${cell(contribution.metadata.description)}. ` : '';
  const intro = `${about}From ${code(contribution.source)} (class ${code(cls.name)}); ${where}.`;
  const title = (path: string) => (path ? `${contributionTitle(contribution)}: ${code(path)}` : contributionTitle(contribution));
  const [main, ...nested] = sectionsOf(cls, '', title);
  const note = contribution.kind === 'algorithm' ? replacedTrainDefault : () => '';
  const keyUse = contribution.kind === 'algorithm' ? [unifiedKeyUseText(cls)] : [];
  return [`### ${title('')}`, intro, ...keyUse, fieldTable(main!, note), ...nested.map(renderSection)].join('\n\n');
}

/** How the algorithm reads the seed's algorithm-dependent keys (its options class's declaration). */
function unifiedKeyUseText(options: Constructor): string {
  const use = keyUseOf(options);
  const own = fieldNames(options);
  const reads = (key: AlgorithmTrainingKey) => own.includes(key) || use.uses?.includes(key);
  const used = ALGORITHM_TRAINING_KEYS.filter(reads).map((key) => code(`train.${key}`));
  const renamed = Object.entries(use.renames ?? {}).map(([key, target]) => `${code(`train.${key}`)} as ${code(target!)}`);
  const refused = ALGORITHM_TRAINING_KEYS.filter((key) => !reads(key) && !use.renames?.[key]).map((key) => code(key));
  const parts = [
    used.length ? `reads ${used.join(', ')}` : '',
    renamed.length ? `reads ${renamed.join(', ')}` : '',
    refused.length ? `refuses ${refused.join(', ')}` : '',
    use.rewards ? 'trains on `rewards:`' : 'refuses `rewards:` unless a task uses them in evaluation',
  ].filter(Boolean);
  return `Unified keys: ${parts.join('; ')}.`;
}

/** Options classes may redeclare a `train` key to change its default (DPO's learning_rate). */
function replacedTrainDefault(key: string): string {
  return fieldNames(TrainingConfig).includes(key) ? ` Replaces the default of \`train.${key}\` for this algorithm.` : '';
}

function renderContributionIndex(contributions: readonly DocumentedContribution[]): string {
  const rows = contributions.map((c) => {
    const documented = CONFIGURED_AT[c.kind] && classOf(c);
    const title = contributionTitle(c);
    return [c.kind, documented ? `[${code(c.id)}](#${anchor(title)})` : code(c.id), code(c.source), cell(c.metadata.description ?? '')];
  });
  const intro = 'Every id the installed plugins contribute, by extension kind (`aligntune plugins` lists the ids of an installation).';
  return ['## Installed contributions', intro, table(['kind', 'id', 'plugin', 'description'], rows)].join('\n\n');
}
