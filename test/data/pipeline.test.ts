import 'reflect-metadata';
import { describe, expect, it } from 'vitest';
import {
  DataError,
  loadTrainingRecords,
  mixCounts,
  mixDatasets,
  mixEntries,
  parseDatasetSpec,
  prepareDatasets,
  recordKind,
  Tokenizer,
  TrainingConfig,
  type DatasetConfig,
} from '@aligntune/core';
import { buildTinyChatTokenizerFiles } from '@aligntune/core/testing';
import { HH_ROWS } from './fixtures.js';
import { columnTokens, dataKernel, jsonl, tempDir, writeFiles } from './helpers.js';

const train = (overrides: Partial<TrainingConfig> = {}) => Object.assign(new TrainingConfig(), overrides);
const numbered = (n: number, key = 'n') => jsonl(Array.from({ length: n }, (_, i) => ({ question: `q${i}`, answer: `#### ${i}`, [key]: i })));

async function load(specs: Array<string | DatasetConfig>, dir: string, options: { shuffle?: boolean; seed?: number; logger?: unknown } = {}) {
  const datasets = specs.map((s) => (typeof s === 'string' ? parseDatasetSpec(s) : s));
  return loadTrainingRecords(
    { datasets, train: train({ shuffle: options.shuffle ?? false, seed: options.seed ?? 42 }) },
    { kernel: dataKernel(), baseDir: dir, logger: options.logger as never },
  );
}

describe('dataset specs: slicing and column mapping', () => {
  it('#percent takes the first ceil(N%) rows, #max caps them, both in file order', async () => {
    const dir = writeFiles(tempDir(), { 'gsm.jsonl': numbered(30) });
    const pct = await load(['gsm.jsonl#percent=10'], dir);
    expect(pct.records.map((r) => r.reference)).toEqual(['0', '1', '2']);
    const max = await load(['gsm.jsonl#max=4'], dir);
    expect(max.records.map((r) => r.reference)).toEqual(['0', '1', '2', '3']);
    const both = await load(['gsm.jsonl#percent=50&max=2'], dir);
    expect(both.records).toHaveLength(2);
    expect(both.datasets[0]!.report).toMatchObject({ read: 2, adapted: 2, skipped: 0, adapter: 'qa' });
  });

  it('?map.new=old renames columns so an adapter fits', async () => {
    const dir = writeFiles(tempDir(), { 'qa.jsonl': jsonl([{ query: 'Who wrote Hamlet?', response: 'Shakespeare', source: 'trivia' }]) });
    const { records } = await load(['qa.jsonl?map.question=query&map.answer=response'], dir);
    expect(records[0]).toMatchObject({ prompt: 'Who wrote Hamlet?', completion: 'Shakespeare', reference: 'Shakespeare', extra: { source: 'trivia' } });
    await expect(load(['qa.jsonl?map.question=qeury'], dir)).rejects.toThrow('qa.jsonl:1: column_mapping question=qeury: no column "qeury" (columns: query, response, source)');
  });

  it('uses the adapter the config names, and says which columns were found and expected when nothing fits', async () => {
    const dir = writeFiles(tempDir(), { 'hh.jsonl': jsonl(HH_ROWS), 'odd.jsonl': jsonl([{ text: 'a' }, { text: 'b' }]) });
    const { records } = await load(['hh.jsonl?adapter=hh-rlhf&task_type=conversation'], dir);
    expect(records.map(recordKind)).toEqual(['preference', 'preference']);
    expect(records[0]!.meta).toMatchObject({ dataset: 0, task_type: 'conversation', origin: { file: 'hh.jsonl', line: 1 } });
    await expect(load(['odd.jsonl'], dir)).rejects.toThrow(/odd\.jsonl: no schema adapter fits the columns text; expected one of: alpaca \(instruction, output\);.*qa \(question, answer\)/);
    const error = await load(['odd.jsonl?adapter=chat'], dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DataError);
    expect((error as Error).message).toBe(
      'odd.jsonl: none of 2 rows fit adapter "chat" (columns found: text; expected: messages). First problems: odd.jsonl:1: column "messages" is not a list of {role, content} messages; odd.jsonl:2: column "messages" is not a list of {role, content} messages',
    );
  });

  it('counts and reports rows that do not fit, showing the first few', async () => {
    const rows = [HH_ROWS[0], { chosen: 'no turns here', rejected: 'x' }, HH_ROWS[1], { chosen: 1, rejected: 2 }];
    const dir = writeFiles(tempDir(), { 'hh.jsonl': jsonl(rows) });
    const warnings: string[] = [];
    const logger = { warn: (m: string) => warnings.push(m), info() {}, debug() {} };
    const { records, datasets } = await load(['hh.jsonl'], dir, { logger });
    expect(records).toHaveLength(2);
    expect(datasets[0]!.report).toMatchObject({ read: 4, adapted: 2, skipped: 2 });
    expect(warnings).toEqual([
      '2 of 4 rows of hh.jsonl did not fit adapter "hh-rlhf" and were skipped: hh.jsonl:2: "chosen" has no "Human:"/"Assistant:" turns; hh.jsonl:4: column "chosen" is not text',
    ]);
  });

  it('applies the task’s prompt formatting for task_type', async () => {
    const dir = writeFiles(tempDir(), { 'gsm.jsonl': numbered(2) });
    const { records, tasks } = await load(['gsm.jsonl?task_type=math'], dir);
    expect(records[0]!.prompt).toBe('q0\n\nSolve the problem step by step, then give the final answer on the last line after "####".');
    expect(tasks.map((t) => [t.id, t.weight, t.datasets])).toEqual([['math', 1, [0]]]);
  });
});

describe('TRL’s rule for chat templates: only conversational rows get one', () => {
  const tok = new Tokenizer(buildTinyChatTokenizerFiles(), 'tiny-chat');
  const messages = [{ role: 'user', content: 'Sky colour?' }];
  const reply = (content: string) => [{ role: 'assistant', content }];

  async function promptIds(files: Record<string, unknown[]>): Promise<number[][][]> {
    const dir = writeFiles(tempDir(), Object.fromEntries(Object.entries(files).map(([name, rows]) => [name, jsonl(rows)])));
    const { datasets } = await prepareDatasets(
      { datasets: Object.keys(files).map((name) => parseDatasetSpec(name)), train: train({ shuffle: false }) },
      { kernel: dataKernel(), baseDir: dir, tokenizer: tok, cache: null },
    );
    return datasets.map((d) => columnTokens(d.data, 'prompt'));
  }

  it('tokenizes a text prompt as it is (the tokenizer’s own BOS, no template), in every adapter', async () => {
    const [prefs, sft, online, qa, alpaca] = await promptIds({
      'prefs.jsonl': [{ prompt: 'Sky colour?', chosen: 'Blue.', rejected: 'Green.' }],
      'sft.jsonl': [{ prompt: 'The sky is', completion: ' blue.' }],
      'online.jsonl': [{ prompt: 'Say hi.' }],
      'qa.jsonl': [{ question: 'What is 2+2?', answer: '#### 4' }],
      'alpaca.jsonl': [{ instruction: 'Name a colour.', input: 'Sky', output: 'Blue' }],
    });
    expect(prefs).toEqual([tok.encode('Sky colour?')]);
    expect(prefs![0]![0]).toBe(tok.bosTokenId);
    expect(sft).toEqual([tok.encode('The sky is')]);
    expect(online).toEqual([tok.encode('Say hi.')]);
    expect(qa).toEqual([tok.encode('What is 2+2?')]);
    expect(alpaca).toEqual([tok.encode('Name a colour.\n\nSky')]);
  });

  it('renders a conversational prompt through the chat template (message lists and hh-rlhf dialogues)', async () => {
    const template = tok.encodeChat(messages, { addGenerationPrompt: true });
    const [prefs, sft, hh] = await promptIds({
      'prefs.jsonl': [
        { prompt: messages, chosen: reply('Blue.'), rejected: reply('Green.') },
        { prompt: 'Sky colour?', chosen: [...messages, ...reply('Blue.')], rejected: [...messages, ...reply('Green.')] },
      ],
      'sft.jsonl': [{ prompt: messages, completion: reply('Blue.') }],
      'hh.jsonl': [{ chosen: '\n\nHuman: Sky colour?\n\nAssistant: Blue.', rejected: '\n\nHuman: Sky colour?\n\nAssistant: Green.' }],
    });
    expect(tok.decode(template)).toBe('<|im_start|>user\nSky colour?<|im_end|>\n<|im_start|>assistant\n');
    expect(prefs).toEqual([template, template]);
    expect(sft).toEqual([template]);
    expect(hh).toEqual([template]);
  });
});

describe('mixing datasets by weight', () => {
  it('gives each dataset its weight’s share, stopping when the first runs out', () => {
    expect(mixCounts([1000, 1000], [3, 1], 'first_exhausted')).toEqual([1000, 333]);
    expect(mixCounts([100, 1000], [1, 1], 'first_exhausted')).toEqual([100, 100]);
    expect(mixCounts([100, 1000], [1, 1], 'all_exhausted')).toEqual([1000, 1000]);
    expect(mixCounts([5000, 4000, 16000], [0.4, 0.3, 0.3], 'first_exhausted')).toEqual([5000, 3750, 3750]);
  });

  it('interleaves evenly without shuffle and by a seeded shuffle with it; the same seed gives the same mixture', () => {
    const even = mixEntries(mixDatasets([300, 300], [2, 1], { seed: 1, shuffle: false }));
    expect(even.slice(0, 6).map((e) => e.dataset)).toEqual([0, 1, 0, 0, 1, 0]);
    expect(even.filter((e) => e.dataset === 0).map((e) => e.row).slice(0, 3)).toEqual([0, 1, 2]);
    const a = mixEntries(mixDatasets([300, 300, 50], [2, 1, 0], { seed: 7, shuffle: true }));
    const b = mixEntries(mixDatasets([300, 300, 50], [2, 1, 0], { seed: 7, shuffle: true }));
    const c = mixEntries(mixDatasets([300, 300, 50], [2, 1, 0], { seed: 8, shuffle: true }));
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect(a.filter((e) => e.dataset === 0)).toHaveLength(300);
    expect(a.filter((e) => e.dataset === 1)).toHaveLength(150);
    expect(a.some((e) => e.dataset === 2)).toBe(false);
    expect(new Set(a.filter((e) => e.dataset === 1).map((e) => e.row)).size).toBe(150);
    // every window of 60 keeps close to 2:1
    for (let at = 0; at + 60 <= even.length; at += 60) expect(even.slice(at, at + 60).filter((e) => e.dataset === 0)).toHaveLength(40);
  });

  it('mixes loaded datasets of different schemas into one canonical list', async () => {
    const dir = writeFiles(tempDir(), {
      'gsm.jsonl': numbered(40),
      'hh.jsonl': jsonl(Array.from({ length: 20 }, (_, i) => HH_ROWS[i % 2])),
    });
    const specs = [
      Object.assign(parseDatasetSpec('gsm.jsonl?task_type=math'), { weight: 0.5 }),
      Object.assign(parseDatasetSpec('hh.jsonl?task_type=conversation'), { weight: 0.5 }),
    ];
    const run = await load(specs, dir, { shuffle: true, seed: 3 });
    expect(run.records).toHaveLength(40);
    expect(run.records.filter((r) => recordKind(r) === 'preference')).toHaveLength(20);
    expect(run.records.filter((r) => r.meta!.task_type === 'math')).toHaveLength(20);
    const again = await load(specs, dir, { shuffle: true, seed: 3 });
    expect(again.records.map((r) => r.meta!.origin)).toEqual(run.records.map((r) => r.meta!.origin));
    expect(() => mixDatasets([10], [0], { seed: 1, shuffle: false })).toThrow('no dataset to train on');
  });
});
