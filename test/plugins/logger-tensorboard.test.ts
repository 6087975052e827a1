import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import protobuf from 'protobufjs';
import { describe, expect, it, vi } from 'vitest';
import type { RunInfo } from '@aligntune/core';
import { TensorBoardLogger } from '@aligntune/plugin-logger-tensorboard';
import { createTrainer, readMetrics, runConfig, tempDir, trainingKernel, writeJsonl, writeTinyModel } from '../training/helpers.js';
import { sftRows } from '../training/synthetic.js';

// An independent reader: the .proto files in test/fixtures/tensorboard decoded by protobufjs, and a bitwise
// CRC-32C (the plugin's is table-driven).
const FIXTURES = resolve(import.meta.dirname, '../fixtures/tensorboard');
const root = protobuf.loadSync([join(FIXTURES, 'event.proto'), join(FIXTURES, 'hparams.proto')]);
const Event = root.lookupType('tensorboard.Event');
const HParamsPluginData = root.lookupType('tensorboard.hparams.HParamsPluginData');
const TextPluginData = root.lookupType('tensorboard.TextPluginData');
const DT_STRING = 7;
const SESSION_LOG_START = 1;

interface Value {
  tag: string;
  simpleValue?: number;
  metadata?: { pluginData?: { pluginName?: string; content?: Uint8Array } };
  tensor?: { dtype?: number; tensorShape?: { dim: Array<{ size?: number }> }; stringVal: Uint8Array[] };
}
interface DecodedEvent {
  wallTime: number;
  step?: number;
  fileVersion?: string;
  sessionLog?: { status?: number };
  summary?: { value: Value[] };
}

function crc32cBitwise(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = (crc >>> 1) ^ (0x82f63b78 & -(crc & 1));
  }
  return (crc ^ 0xffffffff) >>> 0;
}

function masked(bytes: Uint8Array): number {
  const crc = crc32cBitwise(bytes);
  return (((crc >>> 15) | (crc << 17)) + 0xa282ead8) >>> 0;
}

/** Every record's framing and both CRCs checked, the whole file consumed; then each Event decoded. */
function readEvents(file: string): DecodedEvent[] {
  const bytes = readFileSync(file);
  const events: DecodedEvent[] = [];
  let at = 0;
  while (at < bytes.length) {
    expect(bytes.length - at, 'record header').toBeGreaterThanOrEqual(12);
    const header = bytes.subarray(at, at + 8);
    expect(bytes.readUInt32LE(at + 8), `length crc at byte ${at}`).toBe(masked(header));
    const length = Number(bytes.readBigUInt64LE(at));
    const data = bytes.subarray(at + 12, at + 12 + length);
    expect(data.length, `record at byte ${at}`).toBe(length);
    expect(bytes.readUInt32LE(at + 12 + length), `data crc at byte ${at}`).toBe(masked(data));
    events.push(Event.toObject(Event.decode(data), { longs: Number, arrays: true }) as DecodedEvent);
    at += 16 + length;
  }
  expect(at).toBe(bytes.length);
  expect(events[0]).toMatchObject({ fileVersion: 'brain.Event:2' });
  return events;
}

function eventFiles(dir: string): string[] {
  return readdirSync(dir).filter((f) => f.startsWith('events.out.tfevents.')).sort().map((f) => join(dir, f));
}

function text(value: Value): string {
  expect(value.metadata?.pluginData?.pluginName).toBe('text');
  expect(TextPluginData.toObject(TextPluginData.decode(value.metadata!.pluginData!.content ?? new Uint8Array()))).toEqual({});
  expect(value.tensor).toMatchObject({ dtype: DT_STRING, tensorShape: { dim: [] } });
  expect(value.tensor!.stringVal).toHaveLength(1);
  return Buffer.from(value.tensor!.stringVal[0]!).toString('utf8');
}

function hparams(value: Value): Record<string, unknown> {
  expect(value.tag).toBe('_hparams_/session_start_info');
  expect(value.metadata?.pluginData?.pluginName).toBe('hparams');
  expect(value.tensor).toMatchObject({ dtype: 1, tensorShape: { dim: [{}] } }); // float, shape [0]
  const data = HParamsPluginData.toObject(HParamsPluginData.decode(value.metadata!.pluginData!.content!), { oneofs: true, defaults: true });
  expect(data).toMatchObject({ version: 0, data: 'sessionStartInfo' });
  return data.sessionStartInfo as Record<string, unknown>;
}

/** (step, tag, value) of every scalar, in file order. */
function scalars(events: readonly DecodedEvent[]): Array<[number, string, number]> {
  return events.flatMap((e) => (e.summary?.value ?? []).filter((v) => v.simpleValue !== undefined).map((v): [number, string, number] => [e.step ?? 0, v.tag, v.simpleValue!]));
}

/** metrics.jsonl rows as the float32 scalars TensorBoard should hold. */
function expectedScalars(rows: ReadonlyArray<Record<string, number | string>>): Array<[number, string, number]> {
  return rows.flatMap(({ step, ...values }) => Object.entries(values).map(([tag, v]): [number, string, number] => [step as number, tag, Math.fround(Number(v))]));
}

function runInfo(outputDir: string, extra: Partial<RunInfo> = {}): RunInfo {
  return { runName: 'unit', outputDir, algo: 'sft', config: {}, resumed: false, startStep: 0, ...extra };
}

describe('metric logger "tensorboard"', () => {
  it('the independent CRC-32C gives the standard check value', () => {
    expect(crc32cBitwise(Buffer.from('123456789'))).toBe(0xe3069283);
  });

  it('writes framed, checksummed events: scalars (float32, NaN/±Infinity), text, a table as markdown, hparams', async () => {
    const out = tempDir('aligntune-tb-');
    const logger = new TensorBoardLogger();
    const before = Date.now() / 1000;
    await logger.open(runInfo(out));
    logger.logHparams({ 'train.learning_rate': 1e-5, algo: 'sft', 'train.shuffle': false, empty: '' });
    logger.logScalars(1, { loss: 0.1, 'eval/loss': -2.5, zero: 0 });
    logger.logScalars(2 ** 40, { nan: NaN, inf: Infinity, ninf: -Infinity });
    logger.logText(3, 'samples/greeting', 'héllo **world** ✓');
    logger.logTable(3, 'completions', { columns: ['prompt', 'completion', 'reward'], rows: [['a|b', 'line 1\nline 2', 0.5], ['c', null, true]] });
    await logger.flush();

    const files = eventFiles(join(out, 'runs/unit'));
    expect(files).toHaveLength(1);
    const name = files[0]!.split('/').at(-1)!;
    const [seconds, host, pid] = name.replace('events.out.tfevents.', '').split('.');
    expect(Number(seconds)).toBeGreaterThanOrEqual(Math.floor(before) - 1);
    expect([host, Number(pid)]).toEqual([hostname(), process.pid]);

    const events = readEvents(files[0]!);
    expect(events).toHaveLength(6);
    for (const e of events) expect(e.wallTime).toBeGreaterThanOrEqual(before - 1);
    expect(events[1]!.step ?? 0).toBe(0);
    const start = hparams(events[1]!.summary!.value[0]!);
    expect(start.hparams).toEqual({
      'train.learning_rate': { numberValue: 1e-5, kind: 'numberValue' },
      algo: { stringValue: 'sft', kind: 'stringValue' },
      'train.shuffle': { boolValue: false, kind: 'boolValue' },
      empty: { stringValue: '', kind: 'stringValue' },
    });
    expect(start.startTimeSecs).toBeCloseTo(events[0]!.wallTime, 6);
    expect(scalars(events)).toEqual([
      [1, 'loss', Math.fround(0.1)],
      [1, 'eval/loss', -2.5],
      [1, 'zero', 0],
      [2 ** 40, 'nan', NaN],
      [2 ** 40, 'inf', Infinity],
      [2 ** 40, 'ninf', -Infinity],
    ]);
    expect(events[4]).toMatchObject({ step: 3, summary: { value: [{ tag: 'samples/greeting' }] } });
    expect(text(events[4]!.summary!.value[0]!)).toBe('héllo **world** ✓');
    expect(events[5]).toMatchObject({ step: 3, summary: { value: [{ tag: 'completions' }] } });
    expect(text(events[5]!.summary!.value[0]!)).toBe(
      ['| prompt | completion | reward |', '| --- | --- | --- |', '| a\\|b | line 1<br>line 2 | 0.5 |', '| c |  | true |'].join('\n'),
    );
    await logger.close();
    expect(readEvents(files[0]!)).toHaveLength(6);
  });

  it("logHparams' metrics become scalars at the last logged step (the hparams dashboard's metric columns)", async () => {
    const out = tempDir('aligntune-tb-');
    const logger = new TensorBoardLogger();
    await logger.open(runInfo(out, { resumed: true, startStep: 6 }));
    logger.logHparams({ seed: 1 }, { 'eval/accuracy': 0.75 });
    logger.logScalars(8, { loss: 1 });
    logger.logHparams({ seed: 1 }, { 'eval/accuracy': 0.875 });
    await logger.close();
    expect(scalars(readEvents(eventFiles(join(out, 'runs/unit'))[0]!))).toEqual([[6, 'eval/accuracy', 0.75], [8, 'loss', 1], [8, 'eval/accuracy', 0.875]]);
  });

  it('never throws from log calls: failures surface in flush and close', async () => {
    const out = tempDir('aligntune-tb-');
    const unopened = new TensorBoardLogger();
    expect(() => unopened.logScalars(1, { loss: 1 })).not.toThrow();
    await expect(unopened.flush()).rejects.toThrow('open() was not called or failed');

    const blocked = join(out, 'file');
    writeFileSync(blocked, '');
    await expect(new TensorBoardLogger().open(runInfo(blocked))).rejects.toThrow(/ENOTDIR|EEXIST/);

    const logger = new TensorBoardLogger();
    await logger.open(runInfo(out));
    logger.logScalars(1, { loss: 1 });
    expect(() => logger.logScalars(1.5, { loss: 2 })).not.toThrow(); // a fractional int64 step cannot be encoded
    logger.logScalars(2, { loss: 3 });
    await expect(logger.flush()).rejects.toThrow(/runs\/unit\/events\.out\.tfevents\..*1\.5/);
    await expect(logger.close()).rejects.toThrow(/1\.5/);
    // only the bad event is missing
    expect(scalars(readEvents(eventFiles(join(out, 'runs/unit'))[0]!))).toEqual([[1, 'loss', 1], [2, 'loss', 3]]);
  });

  it('stops writing after a failed write (a partial record would end the file for TensorBoard)', async () => {
    const out = tempDir('aligntune-tb-');
    const logger = new TensorBoardLogger();
    await logger.open(runInfo(out));
    await logger.flush();
    const probe = await open(join(out, 'probe'), 'w');
    const appendFile = vi.spyOn(Object.getPrototypeOf(probe) as FileHandle, 'appendFile').mockRejectedValueOnce(new Error('ENOSPC: no space left on device'));
    await probe.close();
    try {
      logger.logScalars(1, { loss: 1 });
      await expect(logger.flush()).rejects.toThrow(/events\.out\.tfevents\..*ENOSPC/);
      logger.logScalars(2, { loss: 2 });
      await expect(logger.close()).rejects.toThrow('ENOSPC');
      expect(appendFile).toHaveBeenCalledTimes(1);
    } finally {
      appendFile.mockRestore();
    }
    expect(readEvents(eventFiles(join(out, 'runs/unit'))[0]!)).toHaveLength(1);
  });

  it('a resumed run adds a second file to the run directory, starting with a SessionLog START', async () => {
    const out = tempDir('aligntune-tb-');
    for (const resumed of [false, true]) {
      const logger = new TensorBoardLogger();
      await logger.open(runInfo(out, { resumed, startStep: resumed ? 4 : 0 }));
      logger.logScalars(resumed ? 5 : 4, { loss: resumed ? 0.5 : 0.25 });
      await logger.close();
    }
    const [first, second, ...rest] = eventFiles(join(out, 'runs/unit'));
    expect(rest).toHaveLength(0);
    expect(scalars(readEvents(first!))).toEqual([[4, 'loss', 0.25]]);
    const events = readEvents(second!);
    expect(events[1]).toMatchObject({ step: 5, sessionLog: { status: SESSION_LOG_START } });
    expect(scalars(events)).toEqual([[5, 'loss', 0.5]]);
  });
});

describe('metric logger "tensorboard" in a training run', () => {
  async function setup(): Promise<{ dir: string; model: string; data: string }> {
    const dir = tempDir();
    const model = join(dir, 'model');
    await writeTinyModel(model, 'gpt2', { weights: 'init', seed: 2 });
    return { dir, model, data: writeJsonl(join(dir, 'data.jsonl'), sftRows(8, 9)) };
  }

  function kernel() {
    return trainingKernel(['@aligntune/plugin-logger-tensorboard']);
  }

  it('scalars match metrics.jsonl; hparams hold the config; a resumed run writes a second file', async () => {
    const { dir, model, data } = await setup();
    const out = join(dir, 'out');
    const train = { per_device_batch_size: 2, max_steps: 4, eval_fraction: 0.25, eval_interval: 2 };
    const config = runConfig('sft', model, data, out, train, { logging: { output_dir: out, loggers: ['tensorboard'] } });
    const interrupted = await createTrainer(config, kernel());
    interrupted.hooks.onStep = (step) => {
      if (step === 2) interrupted.signals.requestStop('SIGINT');
    };
    expect(await interrupted.train()).toMatchObject({ steps: 2, interrupted: true });
    const resumed = await createTrainer({ ...config, train: { ...(config.train as object), resume_from_checkpoint: 'latest' } }, kernel());
    expect((await resumed.train()).steps).toBe(4);

    const runs = readdirSync(join(out, 'runs'));
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatch(/^sft-\d{8}-\d{6}$/);
    const files = eventFiles(join(out, 'runs', runs[0]!));
    expect(files).toHaveLength(2);
    const [first, second] = files.map(readEvents);
    const rows = readMetrics(join(out, 'metrics.jsonl'));
    expect(rows.map((r) => r.step)).toEqual([1, 2, 2, 3, 4, 4]); // eval rows at 2 and 4
    expect(scalars(first!)).toEqual(expectedScalars(rows.filter((r) => r.step <= 2)));
    expect(scalars(second!)).toEqual(expectedScalars(rows.filter((r) => r.step > 2)));
    expect(second![1]).toMatchObject({ step: 3, sessionLog: { status: SESSION_LOG_START } });
    for (const events of [first!, second!]) {
      const hp = events.flatMap((e) => e.summary?.value ?? []).filter((v) => v.metadata?.pluginData?.pluginName === 'hparams');
      expect(hp).toHaveLength(1);
      expect(hparams(hp[0]!).hparams).toMatchObject({ algo: { stringValue: 'sft' }, 'train.max_steps': { numberValue: 4 }, 'logging.loggers': { stringValue: 'tensorboard' } });
    }
  });

  it('a misspelt logger id fails validation naming it', async () => {
    const { dir, model, data } = await setup();
    const config = runConfig('sft', model, data, join(dir, 'out'), { max_steps: 1 }, { logging: { output_dir: join(dir, 'out'), loggers: ['tensorbord'] } });
    await expect(createTrainer(config, kernel())).rejects.toThrow(/logging\.loggers\.0: unknown metric logger "tensorbord".*did you mean "tensorboard"/);
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });
});
