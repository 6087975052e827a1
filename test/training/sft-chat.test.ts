import 'reflect-metadata';
import { describe, expect, it } from 'vitest';
import { collateSequences, tokenizeRecords, Tokenizer, type CanonicalRecord } from '@aligntune/core';
import { buildTinyChatTokenizerFiles } from '@aligntune/core/testing';
import { addPromptAssistantTurns, sftLossMask } from '@aligntune/plugin-algo-sft';

const tok = new Tokenizer(buildTinyChatTokenizerFiles(), 'tiny-chat');
const options = { maxLength: 256, maxPromptLength: 200, truncationMode: 'keep_end' as const };

const conversation: CanonicalRecord = {
  prompt: [
    { role: 'user', content: 'Hi' },
    { role: 'assistant', content: 'Hello there' },
    { role: 'user', content: 'Count to three' },
  ],
  completion: 'one two three',
  extra: {},
};
const single: CanonicalRecord = { prompt: [{ role: 'user', content: 'Name a colour' }], completion: 'red', extra: {} };

/** The token ids a loss mask selects in row r. */
function trained(mask: Int32Array, ids: Int32Array, r: number, length: number): number[] {
  const picked: number[] = [];
  for (let t = 0; t < length; t++) if (mask[r * length + t]) picked.push(ids[r * length + t]!);
  return picked;
}
const text = (ids: number[]) => tok.decode(ids, { skipSpecialTokens: false });

describe('SFT on chat conversations', () => {
  it('trains every assistant turn: earlier turns from the prompt mask, the final reply as the completion', () => {
    const data = tokenizeRecords(tok, [conversation, single], options);
    const batch = collateSequences(data, [0, 1], 'completion', { padTokenId: tok.padTokenId });
    const finalOnly = sftLossMask(batch, true);
    const all = Int32Array.from(finalOnly);
    addPromptAssistantTurns(all, batch, data, [0, 1]);
    const eos = tok.decode([tok.eosTokenId!], { skipSpecialTokens: false });
    const final = trained(finalOnly, batch.inputIds, 0, batch.length);
    expect(text(final)).toBe(`one two three${eos}`);
    const every = trained(all, batch.inputIds, 0, batch.length);
    expect(every.slice(every.length - final.length)).toEqual(final);
    expect(text(every.slice(0, every.length - final.length))).toBe('Hello there<|im_end|>');
    // a single-turn row is unchanged
    expect(trained(all, batch.inputIds, 1, batch.length)).toEqual(trained(finalOnly, batch.inputIds, 1, batch.length));
  });
});
