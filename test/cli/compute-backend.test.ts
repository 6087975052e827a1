import 'reflect-metadata';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../helpers/run-cli.js';
import { tinyModelDir, writeYamlConfig } from '../helpers/tiny-model-dir.js';
import { FIXTURE_PLUGINS, REPO_ROOT } from '../helpers/temp-project.js';

/** Two fixture compute backends: a CPU one ranked below the built-in `cpu` that counts compiles, and a CUDA one that finds no GPU. */
const BACKENDS = join(FIXTURE_PLUGINS, 'compute-backends');
const compiles = () => (globalThis as { __aligntuneFixtureRecorderCompiles?: number }).__aligntuneFixtureRecorderCompiles ?? 0;

let dir: string;
let model: string;

/** A 2-step SFT run of the tiny model that also loads the fixture backends; `compute` is the run's compute section. */
function writeConfig(name: string, compute: Record<string, unknown> = {}): string {
  const config = {
    algo: 'sft',
    model: { name_or_path: model },
    datasets: [{ name: join(REPO_ROOT, 'examples/data/sft.jsonl'), max_samples: 8 }],
    train: { max_steps: 2, per_device_batch_size: 2, max_length: 32, max_prompt_length: 16, save_interval: 0 },
    compute,
    logging: { output_dir: join(dir, name) },
    caching: { enabled: false },
    plugins: [BACKENDS],
  };
  return writeYamlConfig(dir, name, config);
}

beforeAll(async () => {
  ({ dir, model } = await tinyModelDir('aligntune-compute-'));
});

describe('compute backend chosen by config', () => {
  it('trains on compute.backend when set, and on the highest-priority CPU backend by default', { timeout: 120_000 }, async () => {
    const before = compiles();
    const byDefault = await cli('train', '--config', writeConfig('default'));
    expect(byDefault.code, byDefault.stderr).toBe(0);
    expect(compiles()).toBe(before); // the fixture ranks below cpu, so the default run never compiled on it

    const chosen = await cli('train', '--config', writeConfig('chosen', { backend: 'fixture-recorder' }));
    expect(chosen.code, chosen.stderr).toBe(0);
    expect(compiles()).toBeGreaterThan(before);
  });

  it('refuses an unknown backend from the config or --backend with exit 2, listing the installed ones', async () => {
    const fromConfig = await cli('validate', '--config', writeConfig('unknown', { backend: 'tpu' }));
    expect(fromConfig.code).toBe(2);
    expect(fromConfig.stderr).toMatch(/compute\.backend: unknown compute backend "tpu".*; installed: cpu, fixture-cuda, fixture-recorder/);

    const fromFlag = await cli('train', '--config', writeConfig('flag'), '--backend', 'tpu');
    expect(fromFlag.code).toBe(2);
    expect(fromFlag.stderr).toMatch(/compute\.backend: unknown compute backend "tpu"/);
  });

  it('refuses a device no installed backend serves, and one whose backends cannot run here, saying why', async () => {
    const plain = await cli('validate', '--config', writeConfig('tpu-device'), '--device', 'tpu');
    expect(plain.code).toBe(2);
    expect(plain.stderr).toContain('compute.device: no installed compute backend serves device "tpu": install a compute backend plugin for tpu');

    const cuda = await cli('validate', '--config', writeConfig('cuda-device'), '--device', 'cuda');
    expect(cuda.code).toBe(2);
    expect(cuda.stderr).toContain('compute.device: no compute backend for device "cuda" can run here: fixture-cuda (device cuda; unavailable: no CUDA device found (fixture))');

    const named = await cli('validate', '--config', writeConfig('cuda-named', { backend: 'fixture-cuda' }));
    expect(named.code).toBe(2);
    expect(named.stderr).toContain('compute.backend: compute backend "fixture-cuda" cannot run here: no CUDA device found (fixture)');

    const mismatch = await cli('validate', '--config', writeConfig('mismatch', { backend: 'cpu', device: 'cuda' }));
    expect(mismatch.code).toBe(2);
    expect(mismatch.stderr).toContain('compute.device: compute backend "cpu" serves device "cpu", not "cuda"');
  });

  it('refuses a device_id the CPU backend does not have', async () => {
    const result = await cli('validate', '--config', writeConfig('device-id', { backend: 'cpu', device_id: 1 }));
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('the host CPU is one device: device_id must be 0 (got 1)');
  });
});

describe("the C API backend's CUDA path (no GPU or provider libraries on this machine)", () => {
  it('refuses --backend ort-capi-cuda with exit 2, saying what is missing', async () => {
    const result = await cli('validate', '--config', writeConfig('capi-cuda'), '--backend', 'ort-capi-cuda');
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toMatch(/compute\.backend: compute backend "ort-capi-cuda" cannot run here: .*(CUDA provider libraries missing in .*libonnxruntime_providers_cuda\.so|no CUDA driver)/);
    expect(result.stderr).toContain('ALIGNTUNE_ORT_LIBRARY');
  });
});

describe('aligntune plugins', () => {
  it('shows each compute backend with its device and whether it can run here, and why not', async () => {
    const result = await cli('--project', BACKENDS, 'plugins');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/compute backends on this machine/);
    expect(result.stdout).toMatch(/fixture-cuda\s+device cuda, priority 10\s+unavailable: no CUDA device found \(fixture\)/);
    expect(result.stdout).toMatch(/\n\s+cpu\s+device cpu, priority 0\s+available/);

    const json = JSON.parse((await cli('--project', BACKENDS, 'plugins', '--json')).stdout) as Array<{ contributions: Array<Record<string, unknown>> }>;
    const contributions = json.flatMap((plugin) => plugin.contributions);
    expect(contributions).toContainEqual(expect.objectContaining({ id: 'fixture-cuda', device: 'cuda', available: false, unavailable: 'no CUDA device found (fixture)' }));
    expect(contributions).toContainEqual(expect.objectContaining({ kind: 'compute-backend', id: 'cpu', device: 'cpu', available: true }));
  });
});
