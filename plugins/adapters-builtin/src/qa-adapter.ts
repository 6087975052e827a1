import {
  adapted,
  describeBadField,
  passthroughColumns,
  skipRow,
  textField,
  type AdaptResult,
  type RecordAdapter,
  type Row,
} from '@aligntune/core/data';
import { SchemaAdapter } from '@aligntune/core/kernel';

/**
 * Question answering: `question` and `answer`. The question is the prompt, as text (no chat template, as
 * TRL treats text prompts); the whole answer is the completion; the reference is the final answer —
 * gsm8k's text after "####" (thousands separators removed from numbers), else the answer.
 */
@SchemaAdapter('qa', { description: 'question, answer (gsm8k "#### answer" extracted as the reference)' })
export class QaAdapter implements RecordAdapter {
  readonly requiredColumns = ['question', 'answer'];

  adapt(row: Row): AdaptResult {
    const question = textField(row, 'question');
    const answer = textField(row, 'answer');
    if (question === undefined) return skipRow(describeBadField(row, 'question', 'text'));
    if (answer === undefined) return skipRow(describeBadField(row, 'answer', 'text'));
    const extra = passthroughColumns(row, this.requiredColumns);
    return adapted({ prompt: question, completion: answer, reference: finalAnswer(answer), extra });
  }
}

/** gsm8k's "...\n#### 1,234" → "1234"; an answer without "####" is its own reference. */
export function finalAnswer(answer: string): string {
  const at = answer.lastIndexOf('####');
  const final = (at < 0 ? answer : answer.slice(at + 4)).trim();
  return /^-?\d{1,3}(,\d{3})+(\.\d+)?$/.test(final) ? final.replace(/,/g, '') : final;
}
