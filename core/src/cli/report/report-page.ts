import { basename } from 'node:path';
import { renderConfig } from './config-html.js';
import { escapeHtml, formatNumber } from './html.js';
import { buildCharts, type ChartSpec } from './metric-charts.js';
import type { MetricRecord, RunData } from './run-data.js';
import { REPORT_CSS } from './report-style.js';
import { renderSamples } from './samples-html.js';
import { renderChart } from './svg-chart.js';

export interface PageOptions {
  /** Latest logged steps of samples shown per tag. */
  readonly samples: number;
  readonly generatedAt: Date;
}

/** Headline numbers, shown as cards with their last logged value when the run has them. */
const HEADLINES = ['loss', 'eval/loss', 'reward', 'objective/scores', 'rewards/accuracies', 'eval/rewards/accuracies', 'kl', 'objective/kl', 'tokens_per_second'];

/**
 * The whole report as one HTML document: inline CSS and pre-rendered SVG, no script and no external resource.
 * The CSP forbids scripts and fetches outright, so even a bug in escaping could not run injected code.
 */
export function renderReportPage(run: RunData, options: PageOptions): string {
  const charts = buildCharts(run.metrics, run.settings);
  const name = String(run.settings['logging.run_name'] ?? basename(run.dir));
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${escapeHtml(`${name} · aligntune report`)}</title>
<style>${REPORT_CSS}</style>
</head>
<body>
<main>
${headerHtml(run, name, options.generatedAt)}
${warningsHtml(run.warnings)}
${cardsHtml(run.metrics)}
${chartsSection('curves', 'Training curves', charts.filter((c) => c.group === 'main'))}
${chartsSection('other-metrics', 'Other metrics', charts.filter((c) => c.group === 'other'))}
<section id="config"><h2>Configuration</h2>${renderConfig(run.settings, run.configYaml)}</section>
<section id="samples"><h2>Samples</h2>${renderSamples(run.tables, run.texts, options.samples)}</section>
</main>
</body>
</html>
`;
}

function headerHtml(run: RunData, name: string, generatedAt: Date): string {
  const facts = [run.settings.algo, run.settings['model.name_or_path']].filter((f) => f !== undefined).map((f) => `<span>${escapeHtml(String(f))}</span>`);
  return `<header class="page-head">
<h1>${escapeHtml(name)}</h1>
<p class="facts">${facts.join('')}<span class="path">${escapeHtml(run.dir)}</span></p>
<p class="generated">aligntune report · ${escapeHtml(generatedAt.toISOString().replace('T', ' ').slice(0, 19))} UTC</p>
</header>`;
}

function warningsHtml(warnings: readonly string[]): string {
  if (!warnings.length) return '';
  const items = warnings.map((w) => `<li>${escapeHtml(w)}</li>`).join('');
  return `<section class="warnings"><strong>${warnings.length} problem${warnings.length === 1 ? '' : 's'} reading the run</strong><ul>${items}</ul></section>`;
}

function cardsHtml(rows: readonly MetricRecord[]): string {
  const cards: Array<[string, string]> = [];
  const lastStep = rows.reduce((max, row) => Math.max(max, row.step), -Infinity);
  if (rows.length) cards.push(['steps', String(lastStep)]);
  const epoch = lastValue(rows, 'epoch');
  if (epoch !== undefined) cards.push(['epochs', formatNumber(epoch)]);
  for (const key of HEADLINES) {
    const value = lastValue(rows, key);
    if (value !== undefined) cards.push([key, formatNumber(value)]);
  }
  if (!cards.length) return '<p class="empty">No metrics logged yet (metrics.jsonl is missing or empty).</p>';
  const items = cards.map(([label, value]) => `<div class="card"><div class="value">${value}</div><div class="label">${escapeHtml(label)}</div></div>`);
  return `<section class="cards">${items.join('')}</section>`;
}

function chartsSection(id: string, title: string, charts: readonly ChartSpec[]): string {
  if (!charts.length) return '';
  return `<section id="${id}"><h2>${title}</h2><div class="charts">\n${charts.map(renderChart).join('\n')}\n</div></section>`;
}

function lastValue(rows: readonly MetricRecord[], key: string): number | undefined {
  for (let i = rows.length - 1; i >= 0; i -= 1) {
    const value = rows[i]![key];
    if (typeof value === 'number' && Number.isFinite(value)) return value;
  }
  return undefined;
}
