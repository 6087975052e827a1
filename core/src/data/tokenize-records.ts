import type { TruncationMode } from '../config/training-config.js';
import type { Tokenizer } from '../models/tokenizer.js';
import { encodeChatWithAssistantMask } from '../models/assistant-mask.js';
import { recordKind, type CanonicalRecord, type Prompt } from './canonical-record.js';
import { NAMED_CHAT_TEMPLATES, resolveChatTemplate } from './chat-templates.js';
import { DataError } from './data-error.js';
import type { DataLogger } from './data-logger.js';
import { packRagged } from './ragged.js';
import { formatOrigin } from './row.js';
import { TOKEN_COLUMNS, TokenizedDataset, type TokenColumn, type TokenizedRowInfo } from './tokenized-dataset.js';

export interface TokenizeOptions {
  /** Most tokens of prompt + completion (train.max_length). */
  maxLength: number;
  /** Most prompt tokens (train.max_prompt_length). */
  maxPromptLength: number;
  /** Which end of an over-long prompt survives (train.truncation_mode). */
  truncationMode: TruncationMode;
  /** `chat_template` of the dataset or the config (Jinja or a name); default: the tokenizer's own. */
  chatTemplate?: string;
  logger?: DataLogger;
}

/** A record's token ids before packing. */
export interface RecordTokens {
  prompt: number[];
  completion?: number[];
  chosen?: number[];
  rejected?: number[];
  /** Per prompt token: 1 inside an earlier assistant turn of a chat prompt. */
  prompt_assistant_mask?: number[];
  truncated: boolean;
}

/**
 * The template message prompts are rendered with: the setting, else the tokenizer's own, else `plain`
 * (Human/Assistant text; say so once, since a chat model would want its own).
 */
export function effectiveChatTemplate(tokenizer: Tokenizer, setting: string | undefined): { template?: string; plain: boolean } {
  if (setting !== undefined) {
    const template = resolveChatTemplate(setting);
    return { template, plain: template === NAMED_CHAT_TEMPLATES.plain };
  }
  if (tokenizer.hasChatTemplate) return { plain: false };
  return { template: NAMED_CHAT_TEMPLATES.plain!, plain: true };
}

/**
 * Prompt ids: a text prompt is encoded with the tokenizer's own special tokens (a BOS when its
 * post-processor adds one); a message prompt is rendered through the chat template with
 * add_generation_prompt and encoded without added special tokens, since the template writes them
 * (the built-in `plain` template writes none, so its text is treated as a text prompt).
 */
export function encodePrompt(tokenizer: Tokenizer, prompt: Prompt, template: { template?: string; plain: boolean }): number[] {
  if (typeof prompt === 'string') return tokenizer.encode(prompt, { addSpecialTokens: true });
  const text = tokenizer.applyChatTemplate(prompt, { addGenerationPrompt: true, chatTemplate: template.template });
  return tokenizer.encode(text, { addSpecialTokens: template.plain });
}

/** Completion ids: the text without special tokens, then EOS. */
export function encodeCompletion(tokenizer: Tokenizer, text: string, eos: number): number[] {
  return [...tokenizer.encode(text, { addSpecialTokens: false }), eos];
}

/**
 * Cuts a record's tokens to the limits, as TRL does: the prompt to max_prompt_length (keep_end keeps the
 * tokens nearest the completion), leaving at least one token of room when a completion follows; then each
 * completion to the room left under max_length (its start kept, so an over-long completion loses its EOS).
 */
export function truncateRecord(tokens: Omit<RecordTokens, 'truncated'>, options: Pick<TokenizeOptions, 'maxLength' | 'maxPromptLength' | 'truncationMode'>): RecordTokens {
  const hasCompletion = tokens.completion !== undefined || tokens.chosen !== undefined;
  const promptLimit = Math.min(options.maxPromptLength, hasCompletion ? options.maxLength - 1 : options.maxLength);
  const prompt = cut(tokens.prompt, promptLimit, options.truncationMode);
  const room = options.maxLength - prompt.length;
  const out: RecordTokens = { prompt, truncated: prompt.length < tokens.prompt.length };
  if (tokens.prompt_assistant_mask) out.prompt_assistant_mask = cut(tokens.prompt_assistant_mask, promptLimit, options.truncationMode);
  for (const field of ['completion', 'chosen', 'rejected'] as const) {
    const ids = tokens[field];
    if (ids === undefined) continue;
    out[field] = ids.slice(0, room);
    if (ids.length > room) out.truncated = true;
  }
  return out;
}

function cut(ids: number[], limit: number, mode: TruncationMode): number[] {
  if (ids.length <= limit) return ids;
  return mode === 'keep_end' ? ids.slice(ids.length - limit) : ids.slice(0, limit);
}

/**
 * 1 on the prompt tokens of the earlier assistant turns of a chat prompt (the template's rendering of each
 * turn, as `encodeChatWithAssistantMask` finds it), aligned with `promptIds`; undefined when the prompt has
 * no assistant turn. A template whose prefixes are not token prefixes cannot be masked: its earlier turns
 * are then left out of the loss, and `onUnmaskable` says why.
 */
export function promptAssistantMask(tokenizer: Tokenizer, prompt: Prompt, promptIds: readonly number[], template: { template?: string }, onUnmaskable?: (reason: string) => void): number[] | undefined {
  if (typeof prompt === 'string' || !prompt.some((m) => m.role === 'assistant')) return undefined;
  try {
    const { inputIds, assistantMask } = encodeChatWithAssistantMask(tokenizer, prompt, { chatTemplate: template.template });
    // the prompt ids may start with a BOS the tokenizer adds (the plain template); the rest must match
    const offset = [0, 1].find((o) => inputIds.every((id, k) => promptIds[o + k] === id));
    if (offset === undefined) throw new Error('the conversation without the generation prompt is not a token prefix of the prompt');
    const mask = new Array<number>(promptIds.length).fill(0);
    assistantMask.forEach((m, k) => (mask[offset + k] = m));
    return mask;
  } catch (err) {
    onUnmaskable?.((err as Error).message);
    return undefined;
  }
}

/** Tokenizes one canonical record (pairs share one prompt encoding). */
export function tokenizeRecord(tokenizer: Tokenizer, record: CanonicalRecord, options: TokenizeOptions, template = effectiveChatTemplate(tokenizer, options.chatTemplate), onUnmaskable?: (reason: string) => void): RecordTokens {
  const eos = tokenizer.eosTokenId;
  if (eos === null) throw new DataError(`${tokenizer.source}: the tokenizer has no EOS token, which completions end with`);
  const tokens: Omit<RecordTokens, 'truncated'> = { prompt: encodePrompt(tokenizer, record.prompt, template) };
  const mask = promptAssistantMask(tokenizer, record.prompt, tokens.prompt, template, onUnmaskable);
  if (mask) tokens.prompt_assistant_mask = mask;
  if (record.completion !== undefined) tokens.completion = encodeCompletion(tokenizer, record.completion, eos);
  if (record.chosen !== undefined && record.rejected !== undefined) {
    tokens.chosen = encodeCompletion(tokenizer, record.chosen, eos);
    tokens.rejected = encodeCompletion(tokenizer, record.rejected, eos);
  }
  return truncateRecord(tokens, options);
}

/** Tokenizes records into packed columns; counts truncations and reports them once. */
export function tokenizeRecords(tokenizer: Tokenizer, records: readonly CanonicalRecord[], options: TokenizeOptions): TokenizedDataset {
  const template = effectiveChatTemplate(tokenizer, options.chatTemplate);
  if (usesPlainTemplate(records, template, options)) warnPlainTemplate(tokenizer, options);
  const columns = Object.fromEntries(TOKEN_COLUMNS.map((c) => [c, [] as number[][]])) as Record<TokenColumn, number[][]>;
  const rows: TokenizedRowInfo[] = [];
  let unmaskable: string | undefined;
  for (const record of records) {
    const tokens = tokenizeRecord(tokenizer, record, options, template, (reason) => (unmaskable ??= reason));
    for (const column of TOKEN_COLUMNS) columns[column].push(tokens[column] ?? []);
    rows.push(rowInfo(record, tokens.truncated));
  }
  reportTokenization(tokenizer, options, { unmaskable, truncated: rows.filter((r) => r.truncated).length, rows: rows.length });
  const present = TOKEN_COLUMNS.filter((c) => c === 'prompt' || columns[c].some((ids) => ids.length > 0));
  return new TokenizedDataset(Object.fromEntries(present.map((c) => [c, packRagged(columns[c])])), rows);
}

/** True when message prompts meet the built-in `plain` template by default (the user is told once). */
export function usesPlainTemplate(records: readonly CanonicalRecord[], template: { plain: boolean }, options: Pick<TokenizeOptions, 'chatTemplate'>): boolean {
  return options.chatTemplate === undefined && template.plain && records.some((r) => typeof r.prompt !== 'string');
}

export function warnPlainTemplate(tokenizer: Tokenizer, options: Pick<TokenizeOptions, 'logger'>): void {
  options.logger?.warn(`${tokenizer.source}: the tokenizer has no chat_template; message prompts are rendered with the "plain" Human/Assistant template (set chat_template to choose another)`);
}

/** What tokenizing a table found, said once per table: unmaskable assistant turns, truncated rows. */
export function reportTokenization(tokenizer: Tokenizer, options: TokenizeOptions, found: { unmaskable?: string; truncated: number; rows: number }): void {
  if (found.unmaskable) options.logger?.warn(`${tokenizer.source}: this chat template does not let the earlier assistant turns of chat prompts be located, so SFT trains only the final replies (${found.unmaskable})`);
  if (found.truncated > 0) options.logger?.info(`${found.truncated} of ${found.rows} rows were truncated to max_prompt_length=${options.maxPromptLength} / max_length=${options.maxLength}`);
}

/** What a tokenized row keeps besides its tokens. */
export function rowInfo(record: CanonicalRecord, truncated: boolean): TokenizedRowInfo {
  const info: TokenizedRowInfo = { kind: recordKind(record), prompt: record.prompt, extra: record.extra };
  if (record.reference !== undefined) info.reference = record.reference;
  if (record.meta?.task_type !== undefined) info.task_type = record.meta.task_type;
  if (record.meta) info.origin = formatOrigin(record.meta.origin);
  if (truncated) info.truncated = true;
  return info;
}
