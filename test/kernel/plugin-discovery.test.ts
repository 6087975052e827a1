import 'reflect-metadata';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kernel, PluginError, Tokens, extensionPoint, readPluginManifest } from '@aligntune/core';
import { FIXTURE_PLUGINS, copyFixture, makeProject, packPackage, removeDir, tempDir } from '../helpers/temp-project.js';

interface ScoringReward {
  score(batch: { completions: string[] }): number[];
}
const rewardPoint = extensionPoint<ScoringReward>('reward');
const fixture = (name: string) => join(FIXTURE_PLUGINS, name);

/** Compiles the tsyringe fixture as its author's `tsc` would (legacy decorators + metadata). */
function buildTsyringeFixture(): string {
  const dir = copyFixture('tsyringe-rewards');
  const source = readFileSync(join(dir, 'src/index.ts'), 'utf8');
  const { outputText } = ts.transpileModule(source, {
    compilerOptions: {
      module: ts.ModuleKind.ESNext,
      target: ts.ScriptTarget.ES2022,
      experimentalDecorators: true,
      emitDecoratorMetadata: true,
      useDefineForClassFields: false,
    },
  });
  mkdirSync(join(dir, 'dist'), { recursive: true });
  writeFileSync(join(dir, 'dist/index.js'), outputText);
  return dir;
}

describe('plugin discovery from an installed npm project', () => {
  let project: string;
  let scratch: string;

  beforeAll(() => {
    scratch = tempDir();
    const tarballs = ['rewards', 'lazy-backend', 'empty', 'bad-api'].map((name) => packPackage(fixture(name), scratch));
    tarballs.push(packPackage(buildTsyringeFixture(), scratch));
    project = makeProject(tarballs);
  }, 120_000);

  afterAll(() => {
    removeDir(project);
    removeDir(scratch);
  });

  it('finds plugins by their package.json "aligntune" field and ignores other dependencies', async () => {
    const kernel = new Kernel();
    await kernel.discover({ projectDir: project });
    const names = kernel.pluginStates().map((state) => state.name).sort();
    expect(names).toEqual([
      'aligntune-plugin-fixture-bad-api',
      'aligntune-plugin-fixture-empty',
      'aligntune-plugin-fixture-lazy-backend',
      'aligntune-plugin-fixture-rewards',
      'aligntune-plugin-fixture-tsyringe',
    ]);
    expect(kernel.ids('reward')).toEqual(['fixture-length', 'tsyringe-count']);
  });

  it('lists a broken plugin with its error without hiding the others', async () => {
    const kernel = new Kernel();
    await kernel.discover({ projectDir: project });
    // imports only these two: the lazy-backend fixture must stay unimported for the test below
    await kernel.ensure('reward', 'fixture-length');
    await kernel.ensure('task', 'fixture-empty').catch(() => undefined); // the failure is recorded on the plugin
    const byName = new Map(kernel.pluginStates().map((state) => [state.name, state]));
    expect(byName.get('aligntune-plugin-fixture-bad-api')).toMatchObject({ status: 'failed' });
    expect(byName.get('aligntune-plugin-fixture-bad-api')!.error!.message).toMatch(/plugin API v2.*speaks v1/);
    expect(byName.get('aligntune-plugin-fixture-empty')!.error!.message).toMatch(/registers nothing/);
    expect(byName.get('aligntune-plugin-fixture-rewards')).toMatchObject({ status: 'loaded', version: '1.2.3' });
  });

  it('creates a contribution through the container, injecting params and the logger', async () => {
    const logger = { info() {} };
    const kernel = new Kernel({ logger });
    await kernel.discover({ projectDir: project });
    const reward = await kernel.create(rewardPoint, 'fixture-length', { params: { min_length: 3 } });
    expect(reward.score({ completions: ['ab', 'abcd'] })).toEqual([0, 4]);
    expect((reward as unknown as { logger: unknown }).logger).toBe(logger);
    expect(kernel.metadata('reward', 'fixture-length')!.params!.name).toBe('LengthParams');
  });

  it('imports a plugin that declares `provides` only when its contribution is needed', async () => {
    const counter = globalThis as { __aligntuneFixtureLazyImports?: number };
    const before = counter.__aligntuneFixtureLazyImports ?? 0;
    const kernel = new Kernel();
    await kernel.discover({ projectDir: project });
    expect(kernel.ids('compute-backend')).toEqual(['fixture-accelerator']);
    expect(counter.__aligntuneFixtureLazyImports ?? 0).toBe(before);
    const record = await kernel.ensure('compute-backend', 'fixture-accelerator');
    expect(record.source).toBe('aligntune-plugin-fixture-lazy-backend');
    expect(counter.__aligntuneFixtureLazyImports).toBeGreaterThan(before);
  });

  it('registers a plugin written against tsyringe unchanged: @injectable, @singleton, @inject(token)', async () => {
    const logger = { info() {} };
    const kernel = new Kernel({ logger });
    await kernel.discover({ projectDir: project });
    const first = await kernel.create(rewardPoint, 'tsyringe-count', { params: { bonus: 10 } });
    const second = await kernel.create(rewardPoint, 'tsyringe-count', { params: { bonus: 0 } });
    expect(first.score({ completions: ['abc'] })).toEqual([13]);
    expect(second.score({ completions: ['abc', ''] })).toEqual([3, 0]);
    // @singleton(): both instances share one CallCounter, as tsyringe promises.
    expect((second as unknown as { calls: number }).calls).toBe(2);
    expect((first as unknown as { greeting: { text: string } }).greeting.text).toBe('hello');
    expect((first as unknown as { logger: unknown }).logger).toBe(logger);
  });
});

describe('plugin errors', () => {
  it('rejects two plugins with the same kind and id, naming both packages', async () => {
    const kernel = new Kernel();
    await kernel.discover({ projectDir: tempDir(), extra: [fixture('rewards'), fixture('duplicate')] });
    await kernel.loadAll();
    const duplicate = kernel.pluginStates().find((state) => state.name === 'aligntune-plugin-fixture-duplicate')!;
    expect(duplicate.status).toBe('failed');
    expect(duplicate.error!.message).toContain(
      'duplicate reward "fixture-length": provided by both aligntune-plugin-fixture-rewards and aligntune-plugin-fixture-duplicate',
    );
    expect(kernel.record('reward', 'fixture-length')!.source).toBe('aligntune-plugin-fixture-rewards');
  });

  it('names a missing entry file', () => {
    expect(() => readPluginManifest(fixture('missing-entry'), 'config')).toThrow(
      /plugin aligntune-plugin-fixture-missing-entry: entry file \.\/dist\/index\.js not found/,
    );
  });

  it('rejects a lazy plugin whose entry does not deliver what it declared', async () => {
    const kernel = new Kernel();
    await kernel.discover({ projectDir: tempDir(), extra: [fixture('lying-lazy')] });
    await expect(kernel.ensure('distributed-backend', 'fixture-mpi')).rejects.toThrow(
      /declares distributed-backend "fixture-mpi" in "aligntune.provides", but the entry does not export it/,
    );
  });

  it('reports a config plugin that is not installed or not a plugin', async () => {
    const kernel = new Kernel();
    await kernel.discover({ projectDir: tempDir(), extra: ['aligntune-plugin-that-does-not-exist', '/no/such/dir'] });
    const errors = kernel.failedPlugins().map((state) => state.error!.message);
    expect(errors).toEqual([
      'plugin aligntune-plugin-that-does-not-exist: package not found (is it installed?)',
      'plugin /no/such/dir: path /no/such/dir does not exist',
    ]);
  });

  it('says which plugins exist when asked for an unknown id', async () => {
    const kernel = new Kernel();
    await kernel.discover({ projectDir: tempDir(), extra: [fixture('rewards')] });
    await expect(kernel.ensure('reward', 'fixture-lenght')).rejects.toThrow(
      'no installed plugin provides reward "fixture-lenght" (did you mean "fixture-length"?); available: fixture-length',
    );
  });

  it('is a PluginError that names the plugin', () => {
    const error = new PluginError('x', 'boom');
    expect(error.message).toBe('plugin x: boom');
  });

  it('reads the tokens plugins inject', () => {
    expect(Tokens.Logger).toBe('aligntune.Logger');
  });
});
