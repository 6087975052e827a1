import 'reflect-metadata';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Kernel } from '@aligntune/core';
import { cli } from '../helpers/run-cli.js';
import { FIXTURE_PLUGINS, tempDir } from '../helpers/temp-project.js';

const fixture = (name: string) => join(FIXTURE_PLUGINS, name);

describe('contributions are what a plugin declares in its manifest', () => {
  it('refuses a plugin whose manifest declares nothing, naming the field', async () => {
    const kernel = new Kernel();
    await kernel.discover({ projectDir: tempDir(), extra: [fixture('no-provides')] });
    expect(kernel.failedPlugins().map((state) => state.error!.message)).toEqual([
      'plugin aligntune-plugin-fixture-no-provides: package.json "aligntune.provides" is missing: declare what the plugin contributes, e.g. { "reward": ["my-reward"] }',
    ]);
    expect(kernel.ids('reward')).toEqual([]);
  });

  it('registers only declared contributions; an exported undeclared class is reported, not registered', async () => {
    const warnings: string[] = [];
    const kernel = new Kernel({ logger: { warn: (message: string) => warnings.push(message) } });
    await kernel.discover({ projectDir: tempDir(), extra: [fixture('undeclared-export')] });
    expect(kernel.ids('reward')).toEqual(['fixture-declared']);
    await kernel.ensure('reward', 'fixture-declared');
    expect(kernel.ids('reward')).toEqual(['fixture-declared']);
    expect(kernel.has('reward', 'fixture-helper')).toBe(false);
    const expected =
      'plugin aligntune-plugin-fixture-undeclared: reward "fixture-helper" (class HelperReward) is exported but not declared in package.json "aligntune.provides", so it is not registered';
    expect(kernel.pluginStates()[0]).toMatchObject({ status: 'loaded', warnings: [expected] });
    expect(warnings).toEqual([expected]);
  });

  it('`aligntune plugins` lists the undeclared export as a warning under the plugin', async () => {
    const { code, stdout } = await cli('--project', fixture('undeclared-export'), 'plugins');
    expect(code).toBe(0);
    expect(stdout).toContain('aligntune-plugin-fixture-undeclared@0.0.1  [loaded]');
    expect(stdout).toContain('    warning: plugin aligntune-plugin-fixture-undeclared: reward "fixture-helper" (class HelperReward) is exported but not declared');
  });
});
