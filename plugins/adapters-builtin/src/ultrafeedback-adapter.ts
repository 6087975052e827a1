import {
  adapted,
  isChatMessages,
  passthroughColumns,
  skipRow,
  textField,
  type AdaptResult,
  type ChatMessage,
  type Prompt,
  type RecordAdapter,
  type Row,
} from '@aligntune/core/data';
import { SchemaAdapter } from '@aligntune/core/kernel';
import { assistantReply, plainMessages, samePrompt, splitFinalAssistant } from './messages.js';

/**
 * HuggingFaceH4/ultrafeedback_binarized and TRL's preference format: `prompt` plus `chosen`/`rejected`,
 * either message lists ending in the assistant's answer (the prompt is then the turns before it, which
 * keeps multi-turn context), the assistant's answer alone (`[{role: 'assistant', content}]`, the prompt
 * from `prompt`), or plain response texts. With texts the prompt stays as the row gives it: a
 * text prompt is tokenized as it is and only a message prompt goes through the chat template (TRL's
 * `maybe_apply_chat_template`). `score_chosen`/`score_rejected` pass through to rewards; `messages` (a
 * copy of chosen in the binarized set) is dropped.
 */
@SchemaAdapter('ultrafeedback', { description: 'prompt, chosen/rejected message lists or texts, score_chosen/score_rejected' })
export class UltraFeedbackAdapter implements RecordAdapter {
  readonly requiredColumns = ['prompt', 'chosen', 'rejected'];
  readonly optionalColumns = ['score_chosen', 'score_rejected'];

  adapt(row: Row): AdaptResult {
    const extra = passthroughColumns(row, [...this.requiredColumns, 'messages']);
    const replies = [assistantReply(row.chosen), assistantReply(row.rejected)];
    if ((Array.isArray(row.chosen) || Array.isArray(row.rejected)) && replies.includes(undefined)) return adaptLists(row, extra);
    const prompt = promptOf(row.prompt);
    const chosen = replies[0] ?? textField(row, 'chosen');
    const rejected = replies[1] ?? textField(row, 'rejected');
    if (!prompt) return skipRow('column "prompt" is neither text nor a list of messages');
    if (chosen === undefined || rejected === undefined) return skipRow(`column "${chosen === undefined ? 'chosen' : 'rejected'}" is empty or not text`);
    return adapted({ prompt, chosen, rejected, extra });
  }
}

function adaptLists(row: Row, extra: Row): AdaptResult {
  const chosen = splitFinalAssistant(row.chosen, 'chosen');
  if (typeof chosen === 'string') return skipRow(chosen);
  const rejected = splitFinalAssistant(row.rejected, 'rejected');
  if (typeof rejected === 'string') return skipRow(rejected);
  if (!samePrompt(chosen.prompt, rejected.prompt)) return skipRow('chosen and rejected differ before their final assistant messages');
  return adapted({ prompt: chosen.prompt, chosen: chosen.response, rejected: rejected.response, extra });
}

function promptOf(value: unknown): Prompt | undefined {
  if (typeof value === 'string' && value.trim() !== '') return value;
  if (isChatMessages(value)) return plainMessages(value as ChatMessage[]);
  return undefined;
}
