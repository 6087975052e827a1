import {
  adapted,
  isChatMessages,
  passthroughColumns,
  skipRow,
  type AdaptResult,
  type RecordAdapter,
  type Row,
} from '@aligntune/core/data';
import { SchemaAdapter } from '@aligntune/core/kernel';
import { plainMessages, splitFinalAssistant } from './messages.js';

/**
 * `messages`: a conversation as {role, content} messages. Ending in an assistant message, it is a prompt
 * (the turns before) with that completion; ending in a user message, it is a prompt alone.
 */
@SchemaAdapter('chat', { description: 'messages: [{role, content}, ...]' })
export class ChatAdapter implements RecordAdapter {
  readonly requiredColumns = ['messages'];

  adapt(row: Row): AdaptResult {
    const messages = row.messages;
    const extra = passthroughColumns(row, this.requiredColumns);
    if (isChatMessages(messages) && messages.at(-1)!.role !== 'assistant') return adapted({ prompt: plainMessages(messages), extra });
    const split = splitFinalAssistant(messages, 'messages');
    if (typeof split === 'string') return skipRow(split);
    return adapted({ prompt: split.prompt, completion: split.response, extra });
  }
}
