import type { MetricTable, TableCell } from '@aligntune/core/training';

/**
 * A table as GitHub-style markdown, which TensorBoard's text plugin renders as an HTML table. Cells keep
 * their line breaks as <br> (a raw newline would end the row) and escape the column separator.
 */
export function markdownTable(table: MetricTable): string {
  const row = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  const lines = [row(table.columns.map(cell)), row(table.columns.map(() => '---'))];
  for (const values of table.rows) lines.push(row(table.columns.map((_, i) => cell(values[i] ?? null))));
  return lines.join('\n');
}

function cell(value: TableCell): string {
  if (value === null) return '';
  return String(value).replace(/\|/g, '\\|').replace(/\r?\n/g, '<br>');
}
