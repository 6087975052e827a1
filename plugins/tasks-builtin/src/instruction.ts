import type { Prompt } from '@aligntune/core/data';

/**
 * The prompt with an instruction added to its last user turn (or to the text): before it ("Summarize:
 * <text>") or after it ("<problem> Give the final answer after ####"). An empty instruction leaves the
 * prompt as it is.
 */
export function withInstruction(prompt: Prompt, instruction: string, position: 'before' | 'after'): Prompt {
  if (instruction === '') return prompt;
  const join = (text: string) => (position === 'before' ? `${instruction}\n\n${text}` : `${text}\n\n${instruction}`);
  if (typeof prompt === 'string') return join(prompt);
  const last = prompt.findLastIndex((message) => message.role === 'user');
  if (last < 0) return [...prompt, { role: 'user', content: instruction }];
  return prompt.map((message, i) => (i === last ? { ...message, content: join(message.content) } : message));
}
