import 'reflect-metadata';
import { describe, expect, it } from 'vitest';
import { DataExtensionPoints, detectAdapter, type RecordAdapter, type Row } from '@aligntune/core';
import {
  AlpacaAdapter,
  ChatAdapter,
  finalAnswer,
  HhRlhfAdapter,
  parseDialogue,
  PromptCompletionAdapter,
  QaAdapter,
  UltraFeedbackAdapter,
} from '@aligntune/plugin-adapters-builtin';
import { HH_ROWS } from './fixtures.js';
import { dataKernel } from './helpers.js';

const adapt = (adapter: RecordAdapter, row: Row) => adapter.adapt(row);

describe('hh-rlhf adapter', () => {
  it('splits real dialogues into the shared prompt and the two final responses', () => {
    const { record } = adapt(new HhRlhfAdapter(), HH_ROWS[1]!);
    expect(record!.prompt).toEqual([
      { role: 'user', content: 'What kind of noises did dinosaurs make?' },
      { role: 'assistant', content: expect.stringMatching(/^Humans and dinosaurs didn’t live.*would be$/) },
      { role: 'user', content: 'yes they did' },
      { role: 'assistant', content: expect.stringMatching(/^to guess, .*do that\.$/) },
      { role: 'user', content: 'you cant read' },
    ]);
    expect(record!.chosen).toBe('You can read?');
    expect(record!.rejected).toBe('there’s a lot of stuff humans don’t know');
  });

  it('keeps blank lines inside a turn', () => {
    const turns = parseDialogue(HH_ROWS[0]!.chosen);
    expect(turns).toHaveLength(4);
    expect(turns[1]!.content).toMatch(/^Here’s an incomplete list\.\n\nAss, dick/);
  });

  it('reports rows that do not fit', () => {
    const adapter = new HhRlhfAdapter();
    expect(adapt(adapter, { chosen: '\n\nHuman: a\n\nAssistant: b', rejected: '\n\nHuman: other\n\nAssistant: c' }).skip).toBe(
      'chosen and rejected differ before their final assistant responses',
    );
    expect(adapt(adapter, { chosen: '\n\nHuman: a', rejected: '\n\nHuman: a\n\nAssistant: c' }).skip).toBe('"chosen" does not end with an Assistant turn');
    expect(adapt(adapter, { chosen: 3, rejected: 'x' }).skip).toBe('column "chosen" is not text');
  });
});

describe('ultrafeedback adapter', () => {
  const row = {
    prompt: 'how can i develop a habit of drawing daily',
    prompt_id: '086b3e24f29b8956a01059f79c56db35d118a06fb6b844b095737d042795cd43',
    chosen: [
      { content: 'how can i develop a habit of drawing daily', role: 'user' },
      { content: 'Developing a daily habit of drawing can be challenging but with consistent practice...', role: 'assistant' },
    ],
    rejected: [
      { content: 'how can i develop a habit of drawing daily', role: 'user' },
      { content: "As an AI language model, I cannot personally develop habits for you. But...", role: 'assistant' },
    ],
    messages: [{ content: 'how can i develop a habit of drawing daily', role: 'user' }],
    score_chosen: 8.5,
    score_rejected: 8.5,
  };

  it('takes the prompt turns from the message lists and passes the scores through', () => {
    const { record } = adapt(new UltraFeedbackAdapter(), row);
    expect(record).toEqual({
      prompt: [{ role: 'user', content: 'how can i develop a habit of drawing daily' }],
      chosen: 'Developing a daily habit of drawing can be challenging but with consistent practice...',
      rejected: 'As an AI language model, I cannot personally develop habits for you. But...',
      extra: { prompt_id: row.prompt_id, score_chosen: 8.5, score_rejected: 8.5 },
    });
  });

  it('keeps a text prompt as text (TRL explicit-prompt preference: no chat template for text)', () => {
    const { record } = adapt(new UltraFeedbackAdapter(), { prompt: 'Sky colour?', chosen: 'Blue.', rejected: 'Green.' });
    expect(record).toMatchObject({ prompt: 'Sky colour?', chosen: 'Blue.', rejected: 'Green.' });
    expect(adapt(new UltraFeedbackAdapter(), { prompt: 'x', chosen: [{ role: 'user', content: 'x' }], rejected: [] }).skip).toBe(
      'the last message of "chosen" is from "user", expected "assistant"',
    );
  });

  it('takes a conversational prompt with the assistant’s answers alone (TRL explicit-prompt, conversational)', () => {
    const prompt = [{ role: 'user', content: 'Sky colour?' }];
    const reply = (content: string) => [{ role: 'assistant', content }];
    const { record } = adapt(new UltraFeedbackAdapter(), { prompt, chosen: reply('Blue.'), rejected: reply('Green.') });
    expect(record).toEqual({ prompt, chosen: 'Blue.', rejected: 'Green.', extra: {} });
  });
});

describe('chat, alpaca, qa and prompt-completion adapters', () => {
  it('chat: the final assistant message is the completion; a trailing user turn makes a prompt-only record', () => {
    const messages = [
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: 'Capital of France?' },
      { role: 'assistant', content: 'Paris.' },
    ];
    expect(adapt(new ChatAdapter(), { messages, id: 7 }).record).toEqual({ prompt: messages.slice(0, 2), completion: 'Paris.', extra: { id: 7 } });
    expect(adapt(new ChatAdapter(), { messages: messages.slice(0, 2) }).record).toEqual({ prompt: messages.slice(0, 2), extra: {} });
    expect(adapt(new ChatAdapter(), { messages: 'hello' }).skip).toBe('column "messages" is not a list of {role, content} messages');
  });

  it('alpaca: instruction and input make one text prompt', () => {
    const row = {
      instruction: 'Identify the odd one out.',
      input: 'Twitter, Instagram, Telegram',
      output: 'Telegram',
      text: 'Below is an instruction...',
    };
    expect(adapt(new AlpacaAdapter(), row).record).toEqual({
      prompt: 'Identify the odd one out.\n\nTwitter, Instagram, Telegram',
      completion: 'Telegram',
      extra: { text: 'Below is an instruction...' },
    });
    expect(adapt(new AlpacaAdapter(), { instruction: 'Give three tips for staying healthy.', input: '', output: '1. Eat well.' }).record!.prompt).toBe('Give three tips for staying healthy.');
    expect(adapt(new AlpacaAdapter(), { instruction: 'x', output: '' }).skip).toBe('column "output" is empty');
  });

  it('qa: gsm8k’s "#### answer" is the reference', () => {
    const row = {
      question: 'Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May. How many clips did Natalia sell altogether in April and May?',
      answer: 'Natalia sold 48/2 = <<48/2=24>>24 clips in May.\nNatalia sold 48+24 = <<48+24=72>>72 clips altogether in April and May.\n#### 72',
    };
    const { record } = adapt(new QaAdapter(), row);
    expect(record).toMatchObject({ reference: '72', completion: row.answer, prompt: row.question });
    expect(finalAnswer('so\n#### 1,250')).toBe('1250');
    expect(finalAnswer('Paris')).toBe('Paris');
  });

  it('prompt-completion: text or messages, completion optional, reference from reference/answer', () => {
    const adapter = new PromptCompletionAdapter();
    expect(adapt(adapter, { prompt: 'The sky is', completion: ' blue.' }).record).toEqual({ prompt: 'The sky is', completion: ' blue.', extra: {} });
    expect(adapt(adapter, { prompt: [{ role: 'user', content: '2+2?' }], answer: '4' }).record).toEqual({
      prompt: [{ role: 'user', content: '2+2?' }],
      reference: '4',
      extra: {},
    });
    expect(adapt(adapter, { prompt: 'x', completion: [{ role: 'assistant', content: 'y' }] }).record!.completion).toBe('y');
  });
});

describe('adapter detection by columns', () => {
  it('picks the most specific adapter whose required columns are present', async () => {
    const adapters = new Map<string, RecordAdapter>();
    const kernel = dataKernel();
    for (const id of kernel.ids('schema-adapter')) adapters.set(id, await kernel.create(DataExtensionPoints.schemaAdapter, id));
    expect([...adapters.keys()].sort()).toEqual(['alpaca', 'chat', 'hh-rlhf', 'prompt-completion', 'qa', 'ultrafeedback']);
    expect(detectAdapter(HH_ROWS[0]!, adapters)).toBe('hh-rlhf');
    expect(detectAdapter({ prompt: 'p', chosen: 'a', rejected: 'b', score_chosen: 1 }, adapters)).toBe('ultrafeedback');
    expect(detectAdapter({ messages: [] }, adapters)).toBe('chat');
    expect(detectAdapter({ instruction: 'i', input: '', output: 'o' }, adapters)).toBe('alpaca');
    expect(detectAdapter({ question: 'q', answer: 'a' }, adapters)).toBe('qa');
    expect(detectAdapter({ prompt: 'p' }, adapters)).toBe('prompt-completion');
    expect(detectAdapter({ text: 't' }, adapters)).toBeUndefined();
  });
});
