import {
  adapted,
  isChatMessages,
  passthroughColumns,
  skipRow,
  textField,
  type AdaptResult,
  type ChatMessage,
  type RecordAdapter,
  type Row,
} from '@aligntune/core/data';
import { SchemaAdapter } from '@aligntune/core/kernel';
import { assistantReply, plainMessages, splitFinalAssistant } from './messages.js';

/**
 * TRL's standard formats: `prompt` alone (online algorithms) or with `completion`, each text or messages;
 * `reference` (or `answer`) becomes the reference answer. Preference rows (prompt + chosen + rejected)
 * go to `ultrafeedback`, which requires more columns and so wins detection.
 */
@SchemaAdapter('prompt-completion', { description: 'prompt, completion (optional), reference/answer (optional)' })
export class PromptCompletionAdapter implements RecordAdapter {
  readonly requiredColumns = ['prompt'];
  readonly optionalColumns = ['completion', 'reference', 'answer'];

  adapt(row: Row): AdaptResult {
    const prompt = typeof row.prompt === 'string' ? textField(row, 'prompt') : isChatMessages(row.prompt) ? plainMessages(row.prompt as ChatMessage[]) : undefined;
    if (prompt === undefined) return skipRow('column "prompt" is neither text nor a list of messages');
    const referenceColumn = textField(row, 'reference') !== undefined ? 'reference' : 'answer';
    const reference = textField(row, referenceColumn);
    const extra = passthroughColumns(row, ['prompt', 'completion', referenceColumn]);
    if (row.completion === undefined || row.completion === null) return adapted({ prompt, reference, extra });
    const completion = completionText(row.completion);
    if (completion === undefined) return skipRow('column "completion" is neither text nor messages ending with the assistant');
    return adapted({ prompt, completion, reference, extra });
  }
}

function completionText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  const reply = assistantReply(value);
  if (reply !== undefined) return reply;
  const split = splitFinalAssistant(value, 'completion');
  return typeof split === 'string' ? undefined : split.response;
}
