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
 * Alpaca: `instruction`, optional `input` (context), `output`. The prompt is the instruction followed by the
 * input after a blank line when there is one, as text: the row is not a conversation, so (as TRL does with
 * text prompts) no chat template is applied; `output` is the completion.
 */
@SchemaAdapter('alpaca', { description: 'instruction, input (optional), output' })
export class AlpacaAdapter implements RecordAdapter {
  readonly requiredColumns = ['instruction', 'output'];
  readonly optionalColumns = ['input'];

  adapt(row: Row): AdaptResult {
    const instruction = textField(row, 'instruction');
    const output = textField(row, 'output');
    if (instruction === undefined) return skipRow(describeBadField(row, 'instruction', 'text'));
    if (output === undefined) return skipRow(describeBadField(row, 'output', 'text'));
    const input = textField(row, 'input');
    const prompt = input ? `${instruction}\n\n${input}` : instruction;
    return adapted({ prompt, completion: output, extra: passthroughColumns(row, ['instruction', 'input', 'output']) });
  }
}
