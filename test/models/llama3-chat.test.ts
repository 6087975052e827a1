import { describe, expect, it } from 'vitest';
import { encodeChatWithAssistantMask, tokenizeRecord } from '@aligntune/core';
import { SAMPLE_CHAT } from './helpers.js';
import { LLAMA3_SPECIAL_TOKENS, llama3Tokenizer } from './llama3-chat.js';

const CHAT = [...SAMPLE_CHAT.slice(0, 3), { role: 'user', content: 'Thank you!' }, { role: 'assistant', content: 'You are welcome.' }];

describe("Llama 3.x Instruct's chat template, special tokens and assistant mask", () => {
  const tok = llama3Tokenizer();

  it('renders as transformers does: BOS, the dated system header, header tokens around each role, <|eot_id|> after each turn', () => {
    const dated = { extra: { date_string: '26 Jul 2024' } };
    // transformers gives templates strftime_now, so the date defaults to today's.
    expect(tok.applyChatTemplate(CHAT.slice(1, 2))).toMatch(/\nToday Date: \d\d [A-Z][a-z]{2} \d{4}\n/);
    expect(tok.applyChatTemplate(CHAT.slice(0, 2), { addGenerationPrompt: true, ...dated })).toBe(
      '<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\nYou are a helpful assistant.<|eot_id|>' +
        '<|start_header_id|>user<|end_header_id|>\n\nWhat is two plus two?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n',
    );
    // With no system message the template still writes the system header (empty system text).
    expect(tok.applyChatTemplate(CHAT.slice(1, 2), dated)).toBe('<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nWhat is two plus two?<|eot_id|>');
  });

  it('uses the real ids: BOS 128000, EOS <|eot_id|> 128009, headers 128006/128007, and pads with EOS (no pad token)', () => {
    expect([tok.bosTokenId, tok.eosTokenId, tok.padTokenId]).toEqual([128000, 128009, 128009]);
    const ids = tok.encodeChat(CHAT.slice(1, 3));
    expect(ids[0]).toBe(128000);
    expect(ids.filter((id) => id === LLAMA3_SPECIAL_TOKENS['<|start_header_id|>'])).toHaveLength(3);
    expect(ids.filter((id) => id === LLAMA3_SPECIAL_TOKENS['<|end_header_id|>'])).toHaveLength(3);
    expect(ids.at(-1)).toBe(128009);
  });

  it('masks exactly the assistant replies and their <|eot_id|>, never the header tokens', () => {
    const { inputIds, assistantMask } = encodeChatWithAssistantMask(tok, CHAT);
    const spans: number[][] = [];
    assistantMask.forEach((m, i) => {
      if (m && !assistantMask[i - 1]) spans.push([]);
      if (m) spans.at(-1)!.push(inputIds[i]!);
    });
    expect(spans.map((s) => tok.decode(s))).toEqual(['The answer is four.<|eot_id|>', 'You are welcome.<|eot_id|>']);
    const headers = new Set<number>([LLAMA3_SPECIAL_TOKENS['<|start_header_id|>'], LLAMA3_SPECIAL_TOKENS['<|end_header_id|>']]);
    expect(inputIds.some((id, i) => headers.has(id) && assistantMask[i] === 1)).toBe(false);
  });

  it('tokenizes a chat record for SFT as TRL would: the prompt ends with the assistant header, the completion with <|eot_id|>, earlier replies masked in the prompt', () => {
    const record = { prompt: CHAT.slice(0, 4), completion: 'You are welcome.', extra: {} };
    const tokens = tokenizeRecord(tok, record, { maxLength: 512, maxPromptLength: 256, truncationMode: 'keep_end' });
    expect(tok.decode(tokens.prompt).endsWith('Thank you!<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n')).toBe(true);
    expect(tokens.completion!.at(-1)).toBe(LLAMA3_SPECIAL_TOKENS['<|eot_id|>']);
    expect(tok.decode(tokens.prompt.filter((_, i) => tokens.prompt_assistant_mask![i] === 1))).toBe('The answer is four.<|eot_id|>');
  });
});
