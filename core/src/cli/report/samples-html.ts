import { escapeHtml, formatNumber } from './html.js';
import type { TableLog, TextRecord } from './run-data.js';

/** Rows of a logged table shown before the rest is folded away (a GRPO step logs every completion). */
const PREVIEW_ROWS = 5;

/** The logged samples: per table tag and per text tag, the latest `limit` steps, newest first (the newest open). */
export function renderSamples(tables: readonly TableLog[], texts: readonly TextRecord[], limit: number): string {
  const parts = [...groupBy(tables, (t) => t.tag)].map(([tag, logs]) => tableTagHtml(tag, logs, limit));
  parts.push(...[...groupBy(texts, (t) => t.tag)].map(([tag, records]) => textTagHtml(tag, records, limit)));
  return parts.length ? parts.join('\n') : '<p class="empty">This run logged no samples (no tables/ or texts.jsonl).</p>';
}

function tableTagHtml(tag: string, logs: readonly TableLog[], limit: number): string {
  const shown = latest(logs, limit);
  const steps = shown.map((log, i) => {
    const summary = `step ${log.step} · ${log.rows.length} row${log.rows.length === 1 ? '' : 's'}`;
    return `<details class="sample"${i === 0 ? ' open' : ''}><summary>${summary}</summary>${tableHtml(log.rows)}</details>`;
  });
  return `<div class="sample-tag" data-table="${escapeHtml(tag)}"><h3>${escapeHtml(tag)}</h3>${shownNote(shown.length, logs.length)}${steps.join('')}</div>`;
}

function textTagHtml(tag: string, records: readonly TextRecord[], limit: number): string {
  const shown = latest(records, limit);
  const items = shown.map((r) => `<div class="text-sample"><div class="step">step ${r.step}</div><div class="text">${escapeHtml(r.text)}</div></div>`);
  return `<div class="sample-tag" data-text="${escapeHtml(tag)}"><h3>${escapeHtml(tag)}</h3>${shownNote(shown.length, records.length)}${items.join('')}</div>`;
}

/** The first rows as a table; beyond a few, the others in a closed `<details>` below it (plain HTML: the page has no script). */
function tableHtml(rows: ReadonlyArray<Readonly<Record<string, unknown>>>): string {
  // The sink repeats the step on every row; the summary already shows it.
  const columns = [...new Set(rows.flatMap((row) => Object.keys(row)))].filter((c) => c !== 'step');
  if (rows.length <= PREVIEW_ROWS) return rowsTable(columns, rows);
  const rest = rows.length - PREVIEW_ROWS;
  const more = `<details class="more-rows"><summary>${rest} more row${rest === 1 ? '' : 's'}</summary>${rowsTable(columns, rows.slice(PREVIEW_ROWS))}</details>`;
  return `${rowsTable(columns, rows.slice(0, PREVIEW_ROWS))}${more}`;
}

function rowsTable(columns: readonly string[], rows: ReadonlyArray<Readonly<Record<string, unknown>>>): string {
  const head = columns.map((c) => `<th>${escapeHtml(c)}</th>`).join('');
  const body = rows.map((row) => `<tr>${columns.map((c) => cellHtml(row[c])).join('')}</tr>`).join('');
  return `<div class="table-wrap"><table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table></div>`;
}

function cellHtml(value: unknown): string {
  if (typeof value === 'number') return `<td class="num">${formatNumber(value)}</td>`;
  if (value === null || value === undefined) return '<td></td>';
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return `<td><div class="text">${escapeHtml(text)}</div></td>`;
}

function shownNote(shown: number, total: number): string {
  return shown < total ? `<p class="note">the latest ${shown} of ${total} logged steps (--samples)</p>` : '';
}

/** The `limit` entries with the highest steps, highest first (stable for equal steps: later logged first). */
function latest<T extends { step: number }>(items: readonly T[], limit: number): T[] {
  return items
    .map((item, index) => ({ item, index }))
    .sort((a, b) => b.item.step - a.item.step || b.index - a.index)
    .slice(0, limit)
    .map(({ item }) => item);
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const list = groups.get(key(item));
    if (list) list.push(item);
    else groups.set(key(item), [item]);
  }
  return groups;
}
