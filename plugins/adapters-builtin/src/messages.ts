import { isChatMessages, type ChatMessage } from '@aligntune/core/data';

/** A conversation split before its final assistant message: the prompt turns and the response text. */
export interface FinalTurnSplit {
  prompt: ChatMessage[];
  response: string;
}

/** Copies only role and content, so stray fields (ids, names) never reach the template or the cache. */
export function plainMessages(messages: readonly ChatMessage[]): ChatMessage[] {
  return messages.map(({ role, content }) => ({ role, content }));
}

/** Splits off the final assistant message; a reason string when the conversation does not end in one. */
export function splitFinalAssistant(value: unknown, column: string): FinalTurnSplit | string {
  if (!isChatMessages(value)) return `column "${column}" is not a list of {role, content} messages`;
  const last = value[value.length - 1]!;
  if (last.role !== 'assistant') return `the last message of "${column}" is from "${last.role}", expected "assistant"`;
  if (value.length < 2) return `"${column}" holds only the assistant's response, no prompt`;
  return { prompt: plainMessages(value.slice(0, -1)), response: last.content };
}

/** The content of a conversational response given alone, `[{role: 'assistant', content}]` (TRL's explicit-prompt format). */
export function assistantReply(value: unknown): string | undefined {
  return isChatMessages(value) && value.length === 1 && value[0]!.role === 'assistant' ? value[0]!.content : undefined;
}

/** Two prompts are the same conversation (role and content of every turn). */
export function samePrompt(a: readonly ChatMessage[], b: readonly ChatMessage[]): boolean {
  return a.length === b.length && a.every((m, i) => m.role === b[i]!.role && m.content === b[i]!.content);
}
