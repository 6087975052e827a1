import 'reflect-metadata';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createComputeBackend, Kernel, resolveDatasetLoader } from '@aligntune/core';
import { ComputeBackend, DatasetLoader, inject, readPluginManifest, Tokens } from '@aligntune/core/kernel';
import { tempDir } from '../helpers/temp-project.js';

type PluginManifest = Parameters<Kernel['addManifest']>[0];

@DatasetLoader('fast-files', { serves: 'files', priority: 1 })
class FastFilesLoader {}

@DatasetLoader('plain-files', { serves: 'files' })
class PlainFilesLoader {}

@ComputeBackend('best-cpu', { device: 'cpu', priority: 5 })
class BestCpuBackend {}

@ComputeBackend('other-cpu', { device: 'cpu' })
class OtherCpuBackend {}

@ComputeBackend('busy-cpu', { device: 'cpu', priority: 9, probe: () => 'busy (fixture)' })
class BusyCpuBackend {}

/** A kernel of manifests whose entries are the given classes; `imported` counts each plugin's imports. */
function kernelOf(plugins: Array<{ name: string; provides: PluginManifest['provides']; traits?: PluginManifest['traits']; exports: Record<string, unknown> }>) {
  const kernel = new Kernel();
  const imported: Record<string, number> = {};
  const dir = tempDir();
  for (const { name, provides, traits, exports } of plugins) {
    imported[name] = 0;
    const manifest: PluginManifest = { name, version: '0.0.1', dir, entry: join(dir, `${name}.js`), apiVersion: 1, provides, traits, usesTsyringe: false, origin: 'dependency' };
    kernel.addManifest(manifest, async () => {
      imported[name]!++;
      return exports;
    });
  }
  return { kernel, imported };
}

/** A plugin of one contribution, declared in its manifest with `traits`; its entry exports `cls`. */
function pluginOf(name: string, kind: 'dataset-loader' | 'compute-backend', id: string, traits: Record<string, string | number>, cls: object) {
  return { name, provides: { [kind]: [id] }, traits: { [kind]: { [id]: traits } }, exports: { [id]: cls } };
}

const best = pluginOf('best-backend', 'compute-backend', 'best-cpu', { device: 'cpu', priority: 5 }, BestCpuBackend);
const busy = pluginOf('busy-backend', 'compute-backend', 'busy-cpu', { device: 'cpu', priority: 9 }, BusyCpuBackend);
const other = pluginOf('other-backend', 'compute-backend', 'other-cpu', { device: 'cpu' }, OtherCpuBackend);

describe('manifest traits: what choosing a default needs, read without importing plugins', () => {
  it('chooses the default dataset loader from the manifests, importing no loader plugin to choose', async () => {
    const { kernel, imported } = kernelOf([
      pluginOf('fast-loader', 'dataset-loader', 'fast-files', { serves: 'files', priority: 1 }, FastFilesLoader),
      pluginOf('plain-loader', 'dataset-loader', 'plain-files', { serves: 'files' }, PlainFilesLoader),
    ]);
    expect(await resolveDatasetLoader(kernel, { name: './rows.jsonl' })).toBe('fast-files');
    expect(imported).toEqual({ 'fast-loader': 0, 'plain-loader': 0 });
  });

  it.each([
    ['imports and probes only the chosen backend when its manifest ranks it first', [best, other], BestCpuBackend, { 'best-backend': 1, 'other-backend': 0 }],
    ['still probes the backend ranked first, and takes the next one when it cannot run here', [busy, other], OtherCpuBackend, { 'busy-backend': 1, 'other-backend': 1 }],
  ])('compute backend: %s', async (_, plugins, chosen, expectedImports) => {
    const { kernel, imported } = kernelOf(plugins);
    expect(await createComputeBackend(kernel)).toBeInstanceOf(chosen);
    expect(imported).toEqual(expectedImports);
  });

  it('fails a plugin whose manifest traits disagree with its decorator, naming the key and both values', async () => {
    const { kernel } = kernelOf([pluginOf('fast-loader', 'dataset-loader', 'fast-files', { serves: 'files', priority: 2 }, FastFilesLoader)]);
    await expect(kernel.ensure('dataset-loader', 'fast-files')).rejects.toThrow(
      'plugin fast-loader: package.json "aligntune.traits.dataset-loader.fast-files.priority" is 2, but its decorator declares 1: the two must agree',
    );
  });

  it('refuses traits for a contribution the manifest does not declare, naming the field', () => {
    const dir = tempDir();
    mkdirSync(dir, { recursive: true });
    const aligntune = { plugin: './index.js', apiVersion: 1, provides: { 'dataset-loader': ['mine'] }, traits: { 'dataset-loader': { other: { serves: 'files' } } } };
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'traits-typo', version: '0.0.1', aligntune }));
    expect(() => readPluginManifest(dir, 'dependency', { checkEntry: false })).toThrow(
      'plugin traits-typo: package.json "aligntune.traits.dataset-loader.other" names a contribution "aligntune.provides" does not declare',
    );
  });
});

/** An accelerator backend that keeps the device ordinal it was created for. */
@ComputeBackend('sim-gpu', { device: 'sim-gpu' })
class SimGpuBackend {
  constructor(@inject(Tokens.Params) readonly params: { device_id?: number } = {}) {}
}

describe('one rank per accelerator', () => {
  it('moves an accelerator backend to device_id + local rank, and keeps every rank on the one host CPU', async () => {
    const { kernel } = kernelOf([pluginOf('gpu', 'compute-backend', 'sim-gpu', { device: 'sim-gpu' }, SimGpuBackend), pluginOf('cpu', 'compute-backend', 'best-cpu', { device: 'cpu' }, BestCpuBackend)]);
    const onRank = async (localRank: number, device_id?: number) => (await createComputeBackend(kernel, { device: 'sim-gpu', device_id }, localRank)) as unknown as SimGpuBackend;
    expect((await onRank(0)).params.device_id).toBe(0);
    expect((await onRank(1)).params.device_id).toBe(1);
    expect((await onRank(1, 2)).params.device_id).toBe(3);
    expect(await createComputeBackend(kernel, {}, 1)).toBeInstanceOf(BestCpuBackend); // device_id 1 would be refused on the host
  });
});
