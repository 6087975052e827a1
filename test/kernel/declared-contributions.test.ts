import 'reflect-metadata';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Kernel } from '@aligntune/core';
import { startTestKernel } from '@aligntune/core/testing';
import { cli } from '../helpers/run-cli.js';
import { FIXTURE_PLUGINS, REPO_ROOT, tempDir } from '../helpers/temp-project.js';

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

  it('every built-in plugin declares exactly the contributions its entry exports', async () => {
    const names = readdirSync(join(REPO_ROOT, 'plugins')).map((dir) => (JSON.parse(readFileSync(join(REPO_ROOT, 'plugins', dir, 'package.json'), 'utf8')) as { name: string }).name);
    const { kernel } = startTestKernel({ plugins: names });
    await kernel.loadAll();
    const problems = kernel.pluginStates().flatMap((state) => [...(state.error ? [state.error.message] : []), ...state.warnings]);
    expect(problems).toEqual([]);
    expect(kernel.pluginStates().map((state) => state.status)).toEqual(names.map(() => 'loaded'));
  });
});
