import type { TemplateMessage, ChatTemplateOptions } from './chat-template.js';
import type { Tokenizer } from './tokenizer.js';

export interface ChatEncoding {
  readonly inputIds: number[];
  /** 1 on the tokens of assistant turns (content and end-of-turn token), 0 elsewhere. */
  readonly assistantMask: number[];
}

export interface AssistantMaskOptions extends Omit<ChatTemplateOptions, 'addGenerationPrompt'> {
  /** Keep whitespace-only tokens the template emits after an assistant turn's end token (default false: they are outside the mask, as TRL's `{% generation %}` templates put them). */
  readonly keepTrailingWhitespace?: boolean;
}

/**
 * Encodes a conversation and marks the assistant tokens, which jinja's `{% generation %}` cannot tell us.
 * For each assistant message i, the tokens from the end of "messages before i + generation prompt" to the
 * end of "messages up to i" are the assistant's; this needs a template whose renderings of a conversation's
 * prefixes are token prefixes of the whole, and it throws (naming the message) when that does not hold,
 * e.g. templates that rewrite earlier turns such as Qwen3's reasoning stripping.
 */
export function encodeChatWithAssistantMask(tokenizer: Tokenizer, messages: readonly TemplateMessage[], options: AssistantMaskOptions = {}): ChatEncoding {
  const inputIds = tokenizer.encodeChat(messages, { ...options, addGenerationPrompt: false });
  const assistantMask = new Array<number>(inputIds.length).fill(0);
  messages.forEach((m, i) => {
    if (m.role !== 'assistant') return;
    const start = stablePrefixLength(tokenizer, inputIds, messages.slice(0, i), true, options, i);
    let end = stablePrefixLength(tokenizer, inputIds, messages.slice(0, i + 1), false, options, i);
    if (!options.keepTrailingWhitespace) end = trimWhitespaceTokens(tokenizer, inputIds, start, end);
    assistantMask.fill(1, start, end);
  });
  return { inputIds, assistantMask };
}

function stablePrefixLength(
  tokenizer: Tokenizer,
  full: readonly number[],
  prefix: readonly TemplateMessage[],
  addGenerationPrompt: boolean,
  options: AssistantMaskOptions,
  index: number,
): number {
  const ids = tokenizer.encodeChat(prefix, { ...options, addGenerationPrompt });
  if (ids.length > full.length || ids.some((id, k) => id !== full[k])) {
    throw new Error(
      `assistant mask: the chat template's rendering of the conversation up to message ${index}` +
        `${addGenerationPrompt ? ' (with generation prompt)' : ''} is not a token prefix of the whole conversation`,
    );
  }
  return ids.length;
}

/** Moves `end` back over whitespace-only, non-special tokens (e.g. the "\n" after ChatML's <|im_end|>). */
function trimWhitespaceTokens(tokenizer: Tokenizer, ids: readonly number[], start: number, end: number): number {
  const special = new Set(tokenizer.specialTokenIds);
  while (end > start && !special.has(ids[end - 1]!) && tokenizer.decode([ids[end - 1]!]).trim() === '') end--;
  return end;
}
