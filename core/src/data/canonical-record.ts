import type { Row, RowOrigin } from './row.js';

/** One chat message, the Hugging Face `{role, content}` shape. */
export interface ChatMessage {
  role: string;
  content: string;
}

/** A prompt is plain text, or messages rendered through the chat template. */
export type Prompt = string | ChatMessage[];

/** Where a canonical record came from (set by the pipeline, not by adapters). */
export interface RecordMeta {
  /** Index of the dataset in `datasets:`. */
  dataset: number;
  task_type?: string;
  origin: RowOrigin;
}

/**
 * The one schema every dataset is mapped to. Which fields are set says what the row can train:
 * prompt + completion (SFT), prompt + chosen + rejected (preference: DPO, reward models), prompt alone
 * (online algorithms that generate). Completions are text; tokenization appends EOS.
 */
export interface CanonicalRecord {
  prompt: Prompt;
  completion?: string;
  chosen?: string;
  rejected?: string;
  /** The reference answer for rewards and metrics (gsm8k's number after `####`). */
  reference?: string;
  /** Columns no field took, passed through to rewards (scores, test cases, ids...). */
  extra: Row;
  meta?: RecordMeta;
}

export type RecordKind = 'completion' | 'preference' | 'prompt';

/** What a record can train: a preference pair, a prompt with its completion, or a prompt alone. */
export function recordKind(record: CanonicalRecord): RecordKind {
  if (record.chosen !== undefined && record.rejected !== undefined) return 'preference';
  if (record.completion !== undefined) return 'completion';
  return 'prompt';
}

/** A prompt as text: itself, or chat messages as `role: content` lines (a table cell, a text log). */
export function promptText(prompt: Prompt): string {
  return typeof prompt === 'string' ? prompt : prompt.map((m) => `${m.role}: ${m.content}`).join('\n');
}

/** True for a non-empty list of `{role: string, content: string}` objects. */
export function isChatMessages(value: unknown): value is ChatMessage[] {
  return (
    Array.isArray(value) &&
    value.length > 0 &&
    value.every((m) => m !== null && typeof m === 'object' && typeof m.role === 'string' && typeof m.content === 'string')
  );
}
