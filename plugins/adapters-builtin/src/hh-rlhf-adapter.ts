import {
  adapted,
  passthroughColumns,
  skipRow,
  type AdaptResult,
  type ChatMessage,
  type RecordAdapter,
  type Row,
} from '@aligntune/core/data';
import { SchemaAdapter } from '@aligntune/core/kernel';
import { samePrompt } from './messages.js';

const TURN = /(?:^|\n\n)(Human|Assistant):[ \t]?/g;
const ROLES: Record<string, string> = { Human: 'user', Assistant: 'assistant' };

/**
 * Anthropic/hh-rlhf: `chosen` and `rejected` are whole dialogues, "\n\nHuman: ...\n\nAssistant: ...", that
 * agree up to the final assistant response. The shared turns become the prompt (as messages); the two final
 * responses become chosen and rejected. An empty final response is kept (the data has some: it is a valid,
 * if poor, answer).
 */
@SchemaAdapter('hh-rlhf', { description: 'chosen/rejected dialogues in "\\n\\nHuman: ...\\n\\nAssistant: ..." form' })
export class HhRlhfAdapter implements RecordAdapter {
  readonly requiredColumns = ['chosen', 'rejected'];

  adapt(row: Row): AdaptResult {
    const chosen = parseSide(row.chosen, 'chosen');
    if (typeof chosen === 'string') return skipRow(chosen);
    const rejected = parseSide(row.rejected, 'rejected');
    if (typeof rejected === 'string') return skipRow(rejected);
    if (!samePrompt(chosen.prompt, rejected.prompt)) return skipRow('chosen and rejected differ before their final assistant responses');
    const extra = passthroughColumns(row, this.requiredColumns);
    return adapted({ prompt: chosen.prompt, chosen: chosen.response, rejected: rejected.response, extra });
  }
}

function parseSide(value: unknown, column: string): { prompt: ChatMessage[]; response: string } | string {
  if (typeof value !== 'string') return `column "${column}" is not text`;
  const turns = parseDialogue(value);
  if (turns.length === 0) return `"${column}" has no "Human:"/"Assistant:" turns`;
  const last = turns.at(-1)!;
  if (last.role !== 'assistant') return `"${column}" does not end with an Assistant turn`;
  if (turns.length < 2) return `"${column}" has no Human turn before the final response`;
  return { prompt: turns.slice(0, -1), response: last.content };
}

/** The turns of a "\n\nHuman: ...\n\nAssistant: ..." dialogue; text inside a turn may hold blank lines. */
export function parseDialogue(text: string): ChatMessage[] {
  const marks = [...text.matchAll(TURN)];
  return marks.map((mark, i) => {
    const start = mark.index + mark[0].length;
    const end = i + 1 < marks.length ? marks[i + 1]!.index : text.length;
    return { role: ROLES[mark[1]!]!, content: text.slice(start, end).trim() };
  });
}
