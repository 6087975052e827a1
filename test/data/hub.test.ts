import 'reflect-metadata';
import { createServer, type AddressInfo } from 'node:net';
import { existsSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { downloadRepoFiles, resolveModelDir, HubError, hubSettingsFromEnv, parseDatasetSpec, type HubSettings } from '@aligntune/core';
import { HuggingFaceLoader } from '@aligntune/plugin-loader-huggingface';
import { FakeHub } from './fake-hub.js';
import { HH_ROWS } from './fixtures.js';
import { collect, jsonl, tempDir } from './helpers.js';
import { parquetBytes } from './parquet-fixtures.js';

const TOKEN = 'hf_FakeTokenForTestsOnly0123456789';

const GSM8K_CARD = `---
language:
- en
configs:
- config_name: main
  data_files:
  - split: train
    path: main/train-*
  - split: test
    path: main/test-*
- config_name: socratic
  data_files:
  - split: train
    path: socratic/train-*
---
# Dataset Card for GSM8K
`;

function gsmParquet(questions: string[]): Uint8Array {
  return parquetBytes([
    { name: 'question', data: questions, type: 'STRING' },
    { name: 'answer', data: questions.map((_, i) => `Work.\n#### ${i + 1}`), type: 'STRING' },
  ]);
}

const hub = new FakeHub();
let gsmMain = '';

beforeAll(async () => {
  await hub.start();
  gsmMain = hub.commit('dataset', 'openai/gsm8k', {
    'README.md': GSM8K_CARD,
    '.gitattributes': '*.parquet filter=lfs',
    'main/train-00000-of-00001.parquet': gsmParquet(['Natalia sold clips...', 'Weng earns $12 an hour...']),
    'main/test-00000-of-00001.parquet': gsmParquet(['Janet’s ducks lay 16 eggs per day...']),
    'socratic/train-00000-of-00001.parquet': gsmParquet(['How many clips? ** ...']),
  });
  hub.commit('dataset', 'Anthropic/hh-rlhf', {
    'README.md': '# hh-rlhf\n',
    'harmless-base/train.jsonl.gz': gzipSync(jsonl([HH_ROWS[0]])),
    'helpful-base/train.jsonl.gz': gzipSync(jsonl([HH_ROWS[1]])),
    'helpful-base/test.jsonl.gz': gzipSync(jsonl([HH_ROWS[1], HH_ROWS[0]])),
    'red-team-attempts/red_team_attempts.jsonl.gz': gzipSync(jsonl([{ transcript: 'x' }])),
  });
});
afterAll(() => hub.stop());

function settings(overrides: Partial<HubSettings> = {}): HubSettings {
  return { endpoint: hub.endpoint, cacheDir: tempDir('aligntune-hub-'), offline: false, ...overrides };
}

/** The error a promise rejects with (the test fails if it resolves). */
async function failure(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => expect.fail('expected a failure'),
    (error: unknown) => error as Error,
  );
}

async function loadRows(spec: string, s: HubSettings) {
  const split = await new HuggingFaceLoader().open(parseDatasetSpec(spec), { baseDir: '/', hub: s });
  return { split, rows: await collect(split.rows()) };
}

describe('Hugging Face loader against a fake Hub', () => {
  vi.spyOn(console, 'debug').mockImplementation(() => undefined); // @huggingface/hub prints "Downloading ..."

  it('downloads a split into a cache laid out as Python’s huggingface_hub lays it out', async () => {
    const s = settings();
    const { rows, split } = await loadRows('gsm8k:train', s); // alias → openai/gsm8k, config main
    expect(rows.map((r) => r.values.question)).toEqual(['Natalia sold clips...', 'Weng earns $12 an hour...']);
    expect(rows[1]!.origin).toEqual({ file: 'openai/gsm8k/main/train-00000-of-00001.parquet', row: 2 });
    expect(split.description).toBe(`openai/gsm8k main:train@${gsmMain.slice(0, 7)}`);
    expect(await split.countRows()).toBe(2);
    const repo = join(s.cacheDir, 'datasets--openai--gsm8k');
    expect(readFileSync(join(repo, 'refs/main'), 'utf8')).toBe(gsmMain);
    const pointer = join(repo, 'snapshots', gsmMain, 'main/train-00000-of-00001.parquet');
    expect(readlinkSync(pointer)).toMatch(/^\.\.\/\.\.\/\.\.\/blobs\/[0-9a-f]{64}$/); // relative symlink to the LFS sha256 blob
    expect(existsSync(realpathSync(pointer))).toBe(true);
    expect(existsSync(join(repo, 'snapshots', gsmMain, 'main/test-00000-of-00001.parquet'))).toBe(false); // only the split's files
    expect(hub.calls()).toContain(`GET /api/datasets/openai/gsm8k/revision/main`);
  });

  it('reuses the cache: a branch costs one revision lookup, a commit sha no request at all', async () => {
    const s = settings();
    await loadRows('gsm8k:test', s);
    hub.requests.length = 0;
    const { rows } = await loadRows('gsm8k:test', s);
    expect(rows).toHaveLength(1);
    expect(hub.calls()).toEqual(['GET /api/datasets/openai/gsm8k/revision/main']);
    hub.requests.length = 0;
    await loadRows(`openai/gsm8k:test?subset=main&revision=${gsmMain}`, s);
    expect(hub.calls()).toEqual([]);
  });

  it('offline, uses only the cache and names what is missing', async () => {
    const s = settings();
    await loadRows('gsm8k:train', s);
    hub.requests.length = 0;
    const offline = { ...s, offline: true };
    expect((await loadRows('gsm8k:train', offline)).rows).toHaveLength(2);
    expect(hub.requests).toEqual([]);
    const missing = await failure(loadRows('gsm8k:test', offline));
    expect(missing).toBeInstanceOf(HubError);
    expect(missing.message).toMatch(/^HF_HUB_OFFLINE is set and dataset openai\/gsm8k@[0-9a-f]{7}: not in the Hub cache: main\/test-00000-of-00001\.parquet/);
    await expect(loadRows('Anthropic/hh-rlhf', offline)).rejects.toThrow(/HF_HUB_OFFLINE is set and dataset Anthropic\/hh-rlhf revision "main" is not in the Hub cache \(no .*refs\/main\)/);
    expect(hub.requests).toEqual([]);
  });

  it('sends the token to every Hub call for private datasets and never shows it in errors', async () => {
    hub.tokens.add(TOKEN);
    hub.commit('dataset', 'acme/private-prefs', { 'data/train.jsonl': jsonl([{ prompt: 'p', chosen: 'a', rejected: 'b' }]) }, 'main', { private: true });
    hub.requests.length = 0;
    const { rows } = await loadRows('acme/private-prefs', settings({ token: TOKEN }));
    expect(rows).toHaveLength(1);
    expect(hub.requests.length).toBeGreaterThanOrEqual(4);
    expect(hub.requests.filter((r) => !r.path.startsWith('/cdn-lfs')).every((r) => r.authorization === `Bearer ${TOKEN}`)).toBe(true);
    const denied = await failure(loadRows('acme/private-prefs', settings()));
    expect(denied.message).toMatch(/cannot resolve dataset acme\/private-prefs revision "main" on http:\/\/127\.0\.0\.1:\d+: HTTP 401: Invalid username or password\..*\(private or gated: set HF_TOKEN/);
    const wrong = 'hf_SomeOtherTokenThatIsWrong987654321';
    const rejected = await failure(loadRows('acme/private-prefs', settings({ token: wrong })));
    expect(rejected.message).not.toContain(wrong);
    expect(rejected.message).toContain('HTTP 401: Invalid username or password.');
  });

  it('honours revision: another branch’s commit, with refs/<branch> written', async () => {
    const v1 = hub.commit('dataset', 'acme/versions', { 'train.jsonl': jsonl([{ prompt: 'old' }]) }, 'v1');
    hub.commit('dataset', 'acme/versions', { 'train.jsonl': jsonl([{ prompt: 'new' }]) }, 'main');
    const s = settings();
    expect((await loadRows('acme/versions', s)).rows[0]!.values).toEqual({ prompt: 'new' });
    const old = await loadRows('acme/versions?revision=v1', s);
    expect(old.rows[0]!.values).toEqual({ prompt: 'old' });
    expect(readFileSync(join(s.cacheDir, 'datasets--acme--versions/refs/v1'), 'utf8')).toBe(v1);
    expect(await old.split.fingerprint()).toContain(v1);
    await expect(loadRows('acme/versions?revision=v2', s)).rejects.toThrow(/cannot resolve dataset acme\/versions revision "v2".*HTTP 404: Invalid rev id: v2.*check the id, revision/);
  });

  it('selects splits by file name and data directory (Anthropic/hh-rlhf layout, jsonl.gz)', async () => {
    const s = settings();
    const train = await loadRows('Anthropic/hh-rlhf', s);
    expect(train.rows.map((r) => r.origin.file)).toEqual(['Anthropic/hh-rlhf/harmless-base/train.jsonl.gz', 'Anthropic/hh-rlhf/helpful-base/train.jsonl.gz']);
    expect((await loadRows('Anthropic/hh-rlhf:test?subset=helpful-base', s)).rows).toHaveLength(2);
    await expect(loadRows('Anthropic/hh-rlhf:validation', s)).rejects.toThrow('Anthropic/hh-rlhf: no files for split "validation"; splits found: test, train');
    await expect(loadRows('openai/gsm8k:train?subset=nope', s)).rejects.toThrow('openai/gsm8k: no config "nope"; configs: main, socratic');
    await expect(loadRows('openai/gsm8k:dev?subset=main', s)).rejects.toThrow('config "main" has no split "dev"; splits: train, test');
  });

  it('falls back to the refs/convert/parquet branch for datasets main cannot serve', async () => {
    hub.commit('dataset', 'acme/scripted', { 'scripted.py': 'import datasets', 'README.md': '# no configs' });
    const parquet = hub.commit('dataset', 'acme/scripted', {
      'default/train/0000.parquet': gsmParquet(['from the parquet branch']),
      'default/test/0000.parquet': gsmParquet(['t']),
    }, 'refs/convert/parquet');
    const s = settings();
    const { rows, split } = await loadRows('acme/scripted', s);
    expect(rows[0]!.values.question).toBe('from the parquet branch');
    expect(split.description).toBe(`acme/scripted default:train@${parquet.slice(0, 7)}`);
    expect(readFileSync(join(s.cacheDir, 'datasets--acme--scripted/refs/refs/convert/parquet'), 'utf8')).toBe(parquet);
    expect(hub.calls()).toContain('GET /api/datasets/acme/scripted/revision/refs%2Fconvert%2Fparquet');
  });
});

describe('Hub client for models and settings from the environment', () => {
  it('downloads chosen files of a model repo (what model.name_or_path uses)', async () => {
    const commit = hub.commit('model', 'acme/tiny-gpt', { 'config.json': '{"model_type":"gpt2"}', 'model.safetensors': 'weights', 'README.md': '# tiny' });
    const s = settings();
    const snapshot = await downloadRepoFiles({ type: 'model', name: 'acme/tiny-gpt' }, { settings: s, files: (f) => f.path !== 'README.md' });
    expect(snapshot).toMatchObject({ commit, files: ['config.json', 'model.safetensors'] });
    expect(snapshot.dir).toBe(join(s.cacheDir, 'models--acme--tiny-gpt', 'snapshots', commit));
    expect(readFileSync(snapshot.localPaths[0]!, 'utf8')).toBe('{"model_type":"gpt2"}');
    hub.requests.length = 0;
    await downloadRepoFiles({ type: 'model', name: 'acme/tiny-gpt' }, { settings: s, revision: commit, files: ['config.json'] });
    expect(hub.requests).toEqual([]);
  });

  it('resolves model.name_or_path: a local directory as it is, a Hub id to a cached snapshot of its model files', async () => {
    const commit = hub.commit('model', 'acme/tiny-llama', {
      'config.json': '{"model_type":"llama"}',
      'model.safetensors': 'weights',
      'tokenizer.json': '{}',
      'README.md': '# tiny',
      'onnx/model.onnx': 'not needed for training',
    });
    const s = settings();
    const dir = await resolveModelDir('acme/tiny-llama', { settings: s });
    expect(dir).toBe(join(s.cacheDir, 'models--acme--tiny-llama', 'snapshots', commit));
    expect(readFileSync(join(dir, 'config.json'), 'utf8')).toBe('{"model_type":"llama"}');
    expect(existsSync(join(dir, 'README.md'))).toBe(false);
    expect(existsSync(join(dir, 'onnx/model.onnx'))).toBe(false);
    const local = tempDir();
    expect(await resolveModelDir(local, { settings: s })).toBe(local);
  });

  it('a missing local path is an error naming it, and an unreachable Hub says so (both exit code 2), never a bare "fetch failed"', async () => {
    const s = settings();
    await expect(resolveModelDir('./models/tiny-gtp2', { settings: s })).rejects.toMatchObject({ exitCode: 2, message: './models/tiny-gtp2: no such model directory' });
    // a port that was just free: nothing listens, so the connection is refused at once
    const port = await new Promise<number>((done) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as AddressInfo;
        server.close(() => done(port));
      });
    });
    const unreachable = await resolveModelDir('acme/tiny-llama', { settings: settings({ endpoint: `http://127.0.0.1:${port}` }) }).catch((e: unknown) => e as HubError);
    expect(unreachable).toMatchObject({ exitCode: 2 });
    expect((unreachable as Error).message).toMatch(/acme\/tiny-llama.*the Hub could not be reached \(ECONNREFUSED\).*HF_HUB_OFFLINE=1/);
  });

  it('reads HF_ENDPOINT, HF_TOKEN, HF_HOME, HF_HUB_CACHE and HF_HUB_OFFLINE as huggingface_hub does', () => {
    const home = tempDir();
    expect(hubSettingsFromEnv({ HF_HOME: home, HF_ENDPOINT: 'http://mirror.local/', HF_TOKEN: TOKEN, HF_HUB_OFFLINE: 'true' })).toEqual({
      endpoint: 'http://mirror.local',
      token: TOKEN,
      cacheDir: join(home, 'hub'),
      offline: true,
    });
    expect(hubSettingsFromEnv({ HF_HOME: home, HF_HUB_CACHE: '/x/cache', HF_HUB_OFFLINE: '0' })).toMatchObject({
      endpoint: 'https://huggingface.co',
      token: undefined,
      cacheDir: '/x/cache',
      offline: false,
    });
  });
});
