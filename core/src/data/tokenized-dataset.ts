import type { Prompt, RecordKind } from './canonical-record.js';
import { raggedLength, raggedRow, type RaggedInt32 } from './ragged.js';
import type { Row } from './row.js';

/**
 * `prompt_assistant_mask` is 1 on the prompt's tokens that belong to earlier assistant turns of a chat prompt
 * (one entry per prompt token; absent when no prompt has any), so SFT can train on every assistant turn.
 */
export const TOKEN_COLUMNS = ['prompt', 'completion', 'chosen', 'rejected', 'prompt_assistant_mask'] as const;
export type TokenColumn = (typeof TOKEN_COLUMNS)[number];

/** What a tokenized row keeps besides tokens: enough for rewards, metrics and error messages. */
export interface TokenizedRowInfo {
  kind: RecordKind;
  /** The prompt as the model saw it before templating (task formatting applied): what rewards receive. */
  prompt: Prompt;
  reference?: string;
  extra: Row;
  task_type?: string;
  /** `data.jsonl:17`. */
  origin?: string;
  /** The prompt or a completion lost tokens to max_prompt_length / max_length. */
  truncated?: boolean;
}

/**
 * One dataset, tokenized: a ragged Int32 column per token field (a row without the field has length 0)
 * and a small JSON record per row. This is what the cache stores and collation reads.
 */
export class TokenizedDataset {
  constructor(
    readonly columns: Partial<Record<TokenColumn, RaggedInt32>>,
    readonly rows: readonly TokenizedRowInfo[],
  ) {}

  get size(): number {
    return this.rows.length;
  }

  tokens(column: TokenColumn, row: number): Int32Array {
    const data = this.columns[column];
    return data ? raggedRow(data, row) : new Int32Array(0);
  }

  length(column: TokenColumn, row: number): number {
    const data = this.columns[column];
    return data ? raggedLength(data, row) : 0;
  }

  /**
   * Per-sample columns for a reward batch (`RewardBatch.columns`): `reference` and every passthrough column
   * of the rows, null where a row lacks it.
   */
  rewardColumns(indices: readonly number[]): Record<string, unknown[]> {
    const rows = indices.map((i) => this.rows[i]!);
    const names = new Set(rows.flatMap((row) => Object.keys(row.extra)));
    const columns: Record<string, unknown[]> = { reference: rows.map((row) => row.reference ?? null) };
    for (const name of names) if (name !== 'reference') columns[name] = rows.map((row) => row.extra[name] ?? null);
    return columns;
  }

  /** Tokens of the longest sequence the row trains on (prompt + its longest completion). */
  sequenceLength(row: number): number {
    const completion = Math.max(this.length('completion', row), this.length('chosen', row), this.length('rejected', row));
    return this.length('prompt', row) + completion;
  }
}
