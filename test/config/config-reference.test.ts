import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  Describe,
  NonEmptyStr,
  OneOf,
  Optional,
  PositiveInt,
  UnifiedConfig,
  describeFields,
  renderConfigReference,
  type Constructor,
} from '@aligntune/core';
import { CONFIG_REFERENCE_PATH, configReference } from '../../core/src/cli/write-docs.js';

/** Every section class reachable from UnifiedConfig, with the heading the reference gives it. */
function coreSections(cls: Constructor = UnifiedConfig, path = ''): Array<{ heading: string; cls: Constructor }> {
  const nested = [...describeFields(cls).values()].filter((field) => field.nested);
  return [
    { heading: path ? `### \`${path}\`` : '### (top level)', cls },
    ...nested.flatMap((field) => {
      const key = field.kind === 'nested-list' ? `${field.name}[]` : field.name;
      return coreSections(field.nested!, path ? `${path}.${key}` : key);
    }),
  ];
}

describe('configuration reference (docs/reference/configuration.md)', () => {
  let generated: { text: string; failedPlugins: string[] };
  beforeAll(async () => {
    generated = await configReference();
  });

  it('the committed file is up to date', () => {
    const failed = generated.failedPlugins.length ? ` (plugins that failed to load here: ${generated.failedPlugins.join(', ')})` : '';
    const committed = readFileSync(CONFIG_REFERENCE_PATH, 'utf8');
    expect(committed, `${CONFIG_REFERENCE_PATH} is stale: run \`npm run docs\`${failed}`).toBe(generated.text);
  });

  it('documents every section and key of UnifiedConfig', () => {
    const sections = coreSections();
    expect(sections.map((s) => s.heading)).toEqual(expect.arrayContaining(['### `model`', '### `datasets[]`', '### `train`', '### `caching`']));
    for (const { heading, cls } of sections) {
      const body = generated.text.split(`${heading}\n`)[1]?.split('\n### ')[0];
      expect(body, heading).toBeDefined();
      for (const key of describeFields(cls).keys()) expect(body, `${heading} ${key}`).toContain(`| \`${key}\` |`);
    }
  });

  it('documents the installed plugins\' options and params, discovered through the kernel', () => {
    const { text } = generated;
    expect(text).toContain('### algorithm `dpo`');
    expect(text).toMatch(/\| `beta` \| number \(> 0\) \| `0.1` \|/);
    expect(text).toMatch(/\| `learning_rate` \| number \(> 0\) \| `0.000001` \| .*Replaces the default of `train.learning_rate`/);
    expect(text).toContain('### reward `length`');
    expect(text).toContain('| `min_length` | integer (≥ 0) | `0` |');
    expect(text).toContain('### task `classification`');
    expect(text).toContain('| dataset-loader | `local` | `@aligntune/plugin-loader-local` |');
  });
});

describe('renderConfigReference', () => {
  class ShoutParams {
    @Describe('Words that must be <b>old</b>: a | b.')
    @NonEmptyStr()
    word!: string;

    @Optional()
    @PositiveInt()
    times?: number;

    @OneOf(['loud', 'quiet'])
    volume: 'loud' | 'quiet' = 'loud';
  }

  it('renders a contribution\'s params class where its keys are written, with types, defaults and escaping', () => {
    const text = renderConfigReference([{ kind: 'reward', id: 'shout', metadata: { kind: 'reward', ids: ['shout'], params: ShoutParams, description: 'caps' }, source: 'aligntune-plugin-shout' }]);
    expect(text).toContain('## Reward parameters\n\n### reward `shout`\n\ncaps. From `aligntune-plugin-shout` (class `ShoutParams`); extra keys of a `rewards:` entry with `type: shout`');
    expect(text).toContain('| `word` | string | **required** | Words that must be &lt;b>old&lt;/b>: a \\| b. |');
    expect(text).toContain('| `times` | integer (≥ 1) | — |  |');
    expect(text).toContain('| `volume` | `loud` \\| `quiet` | `"loud"` |  |');
    expect(text).toContain('| reward | [`shout`](#reward-shout) | `aligntune-plugin-shout` | caps |');
  });

  it('lists contributions without a params class in the index only', () => {
    const text = renderConfigReference([{ kind: 'metric-logger', id: 'csv', metadata: { kind: 'metric-logger', ids: ['csv'] }, source: 'p' }]);
    expect(text).not.toContain('### metric-logger');
    expect(text).toContain('| metric-logger | `csv` | `p` |  |');
  });
});
